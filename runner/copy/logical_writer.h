// Logical mode: rows become multi-row `REPLACE INTO ... VALUES` statements of bounded size
// (a duplicate key in the target is replaced by the source's row; rerunning a chunk is
// idempotent). A full batch runs as a prepared statement of the table's rows per statement:
// the values' bytes travel as read, on a binary session, and the target parses nothing per
// batch (its SQL parser is most of a text INSERT's cost). A shorter batch (a chunk's last
// rows) runs as a plain statement: numbers bare, everything else as escaped byte strings.
// Either way every byte round-trips.
#pragma once

#include "runner/copy/pipeline.h"

#include "runner/db/connection.h"

#include <map>

struct st_mysql_bind;

namespace tidemark::copy {

// "REPLACE INTO `db`.`t` (`a`, `b`) VALUES "
std::string replacePrefix(const TableWork& t);
// t.writePrefix (replacePrefix) and `rows` rows of placeholders "(?,?),(?,?)": a full batch's
// prepared statement.
std::string replacePlaceholders(const TableWork& t, std::uint64_t rows);
// A batch as one plain statement, values inline.
std::string replaceText(const Batch& b);
// Rows in a full logical batch: about `batchBytes` of the table's average row, at most
// `maxRows`, and within the protocol's 65,535 placeholders of one statement.
std::uint64_t rowsPerStatement(const TableInfo& info, std::size_t columns, std::size_t batchBytes,
                               std::uint64_t maxRows);

// Session settings of a connection that creates, alters and cleans target tables: the copy's
// sql_mode (db::kMigrationSqlMode; a DEFAULT '0000-00-00' clause is accepted), no FK checks.
void prepareAdminSession(db::Connection& c);

// Session settings of a writing connection: binary names, UTC, the copy's sql_mode, no FK
// checks, and (physical) no unique checks; on TiDB the bulk settings.
void prepareWriteSession(db::Connection& c, bool tidb, bool physical);

// Executes batches on one target connection, retrying lock conflicts and reconnecting after
// a lost connection; fails with a message naming the target and the chunk.
// True when `message` (a target warning 1265 "Data truncated for column 'c' at row N") is an
// ENUM column's '' error value in `b`, written as the source stored it: the value is kept.
bool legacyEnumBlank(const TableWork& t, const Batch& b, std::string_view message);

class BatchWriter {
public:
    BatchWriter(const db::ConnectOptions& target, bool tidb, bool physical);
    virtual ~BatchWriter();
    void write(const Batch& b);
    db::Connection& connection() { return conn_; }

protected:
    virtual void execute(const Batch& b);
    void checkWarnings(const Batch& b);
    void connect();
    db::ConnectOptions options_;
    bool tidb_;
    bool physical_;
    db::Connection conn_;

private:
    void executePrepared(const Batch& b);
    std::map<const TableWork*, db::Statement> statements_;  // of this connection
    std::uint64_t cachedParams_ = 0;                        // placeholders in statements_
    bool prepared_ = true;                                  // false: the target refused to prepare
    std::vector<st_mysql_bind> binds_;
    std::vector<unsigned long long> bits_;  // BIT values, bound as integers
};

}  // namespace tidemark::copy
