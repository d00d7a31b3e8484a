// Logical mode: rows become multi-row `REPLACE INTO ... VALUES` statements of bounded size
// (a duplicate key in the target is replaced by the source's row; rerunning a chunk is
// idempotent). Values are written as read on a binary session: numbers bare, everything else
// as escaped byte strings, so every byte round-trips.
#pragma once

#include "runner/copy/pipeline.h"

namespace tidemark::copy {

// "REPLACE INTO `db`.`t` (`a`, `b`) VALUES "
std::string replacePrefix(const TableWork& t);
// Appends one row "(v1, v2, ...)" (no separator) from a MYSQL_ROW of the read expressions.
void appendValuesRow(std::string& out, const TableWork& t, char** row, const unsigned long* lengths);
// Appends `bytes` as a quoted SQL string, escaped for a session without NO_BACKSLASH_ESCAPES.
void appendQuoted(std::string& out, const char* bytes, std::size_t n);

// Session settings of a writing connection: binary names, UTC, zero dates allowed, no FK
// checks, and (physical) no unique checks; on TiDB the bulk settings.
void prepareWriteSession(db::Connection& c, bool tidb, bool physical);

// Executes batches on one target connection, retrying lock conflicts and reconnecting after
// a lost connection; fails with a message naming the target and the chunk.
class BatchWriter {
public:
    BatchWriter(const db::ConnectOptions& target, bool tidb, bool physical);
    virtual ~BatchWriter() = default;
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
};

}  // namespace tidemark::copy
