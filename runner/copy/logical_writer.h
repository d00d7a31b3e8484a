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

// Session settings of a connection that creates, alters and cleans target tables: the admin
// purpose of db::dialect::applySession (the migration's sql_mode, no FK checks).
void prepareAdminSession(db::Connection& c);

// Session settings of a writing connection: db::dialect::applySession's copy (or, `physical`,
// physical copy) purpose for the target's flavor, which it detects (`tidb` is that same answer).
void prepareWriteSession(db::Connection& c, bool tidb, bool physical);

// True when `message` (a target warning 1265 "Data truncated for column 'c' at row N") is an
// ENUM column's '' error value in `b`, written as the source stored it: the value is kept.
bool legacyEnumBlank(const TableWork& t, const Batch& b, std::string_view message);

// Executes batches on one target connection, each as its own statement (one autocommitted
// transaction), and handles the target's errors by their class (db/dialect/errors.h):
//  - RetryTxn (deadlock, TiDB write conflict, region unavailable, ...): the statement did not
//    take effect; it is sent again after a capped exponential backoff.
//  - Reconnect (lost, killed, shut down): reconnects with backoff; the batch is sent again when
//    that is idempotent (a REPLACE into a table with a key), else write() returns false.
//  - Split (TiDB 8004, 8175, ...): the batch is sent again as two halves, each its own
//    statement, recursively down to one row.
//  - EntryTooLarge (TiDB 8025): fails naming the table, the largest row's key and its size.
//  - anything else, or retries used up: fails with a message naming the target and the chunk.
class BatchWriter {
public:
    BatchWriter(const db::ConnectOptions& target, bool tidb, bool physical);
    virtual ~BatchWriter();
    // True once every row of `b` is in the target exactly once; false when the batch's outcome
    // is unknown (it may or may not have committed) and it cannot be sent again safely: the
    // caller must clear the chunk from the target and copy it again. Throws on failure.
    bool write(const Batch& b);
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
    bool writePiece(const Batch& b);
    [[noreturn]] void fail(const Batch& b, const db::DbError& e) const;
    void executePrepared(const Batch& b);
    std::map<const TableWork*, db::Statement> statements_;  // of this connection
    std::uint64_t cachedParams_ = 0;                        // placeholders in statements_
    bool prepared_ = true;                                  // false: the target refused to prepare
    std::vector<st_mysql_bind> binds_;
    std::vector<unsigned long long> bits_;  // BIT values, bound as integers
};

}  // namespace tidemark::copy
