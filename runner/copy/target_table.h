// Where the copy writes a source table's rows: the target table its route names
// (consolidate::Router, spec.routes), the extra columns that record which source table a row
// came from, and whether other source tables write into the same table (a merged table).
//
// Contracts:
//  - A table no route renames is its own target (sameAsSource); everything below then reads
//    exactly as the copy did before routing.
//  - Extra column values are constants per source table; they are written as hex literals
//    converted to utf8mb4, so neither the session's charset nor its sql_mode changes them.
//  - The CREATE TABLE rewrite is pure text over SHOW CREATE TABLE's layout (one definition per
//    line), so it runs after the dialect's translation and adds only what every target accepts.
#pragma once

#include "runner/consolidate/router.h"
#include "runner/copy/inspect.h"

#include <string>
#include <string_view>
#include <vector>

namespace tidemark::copy {

struct TargetTable {
    std::string db, name;
    std::vector<consolidate::ExtraValue> extras;  // route order
    bool merged = false;                          // other selected source tables route here too
    consolidate::TableName source;                // the source table it is written from

    std::string qualified() const;  // `db`.`name`
    std::string from() const;       // the source table, "db.table"
    bool renamed() const;           // the target's name differs from the source's
    // What progress, notes and errors call the table: "`db`.`t`", or "db.t -> `shop`.`orders`"
    // when routed.
    std::string label() const;
    // "`c` = <literal> AND ..." selecting the rows this source table writes ("" without extras).
    std::string extrasCondition() const;
    // Merged without an extra column: nothing on the target tells this source table's rows from
    // the other shards', so they can only be told apart by key.
    bool sharesRowsByKey() const { return merged && extras.empty(); }
};

TargetTable sameAsSource(const TableInfo& source);
TargetTable routedTarget(const TableInfo& source, const consolidate::Route& route, bool merged);

// The type of an extra column tidemark creates: names and spec.source.id are at most 64
// characters; binary collation keeps `Shop` and `shop` (two databases) apart.
inline constexpr std::string_view kExtraColumnType = "varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL";

// A translated CREATE TABLE (`createSql`, already naming the target table) with the route's
// extra columns: added first, as kExtraColumnType, and put first in the PRIMARY KEY and in each
// UNIQUE key, so that equal keys of different source tables are different rows. An
// AUTO_INCREMENT column that no longer leads an index gets a plain KEY of its own (the server
// requires one). Unchanged when `extras` is empty.
std::string withExtraColumns(std::string_view createSql, const std::vector<consolidate::ExtraValue>& extras);

// `sql` (CREATE TABLE `db`.`t` ... or CREATE DATABASE [IF NOT EXISTS] `db` ...) naming `db` and
// `table` instead (table ignored for CREATE DATABASE).
std::string renamedCreate(std::string_view sql, const std::string& db, const std::string& table);

}  // namespace tidemark::copy
