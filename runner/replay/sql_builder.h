// Renders one share of a batch as SQL statements for the target: multi-row INSERT/REPLACE
// (`INSERT INTO t (..) VALUES (..),(..)`), multi-row DELETE by key
// (`DELETE FROM t WHERE (k1,k2) IN ((..),(..))`), single-row UPDATE by key, and for tables
// without a usable key DELETE/UPDATE matching every written column exactly with `<=>` (DOUBLE by
// its exact value, FLOAT widened as the server compares it, NULL by `<=>`; an ORDER BY puts the
// byte-identical row first where a collation or -0.0 makes `=` looser) and `LIMIT 1`, which
// changes one of identical rows, as the source did.
//
// Steps: the share's changes become operations, merged per key by compaction.h's table; the
// operations are arranged in rounds (below); each run of one round and group is rendered.
//
// Order: each component (causality.h) keeps its source order; different components are free, so
// the i-th operation of every component goes into "round" i and a round's operations are
// grouped by table and kind into multi-row statements. Safe-mode rewrites (safe_mode.h) happen
// here, per change. Values become literals via binlog/sql_literal.h, so the target session needs
// time_zone '+00:00' and a sql_mode without NO_ZERO_DATE/NO_ZERO_IN_DATE/NO_AUTO_VALUE_ON_ZERO off.
#pragma once

#include <string>
#include <vector>

#include "runner/replay/change.h"

namespace tidemark::replay {

struct Statement {
    std::string sql;
    const TableSchema* table = nullptr;  // for error messages
    size_t rows = 0;
};

// What the target's SQL can say. MariaDB has no JSON type (its JSON is LONGTEXT with a
// JSON_VALID check) and no CAST(.. AS JSON): JSON values go to it as utf8mb4 text. MySQL and TiDB
// take CAST(.. AS JSON), which keeps a JSON column's value a document rather than a string.
struct SqlDialect {
    bool jsonAsText = false;
};

struct SqlLimits {
    size_t maxRowsPerStatement = 2000;
    size_t maxBytesPerStatement = 1u << 20;
};

std::vector<Statement> buildStatements(const std::vector<RowChange>& changes, const std::vector<uint32_t>& share,
                                       const std::vector<uint32_t>& component, const SqlDialect& dialect = {},
                                       const SqlLimits& limits = {});

}  // namespace tidemark::replay
