#include "runner/copy/logical_writer.h"

#include "runner/binlog/sql_literal.h"
#include "runner/copy/batch_limits.h"
#include "runner/copy/full_copy.h"
#include "runner/db/dialect/session.h"

#include <mysql.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace tidemark::copy {

std::string ChunkWork::describe() const {
    return table->target.label() + " chunk " + std::to_string(no + 1) + "/" + std::to_string(of);
}

namespace {

// The route's extra columns' constants, each after a comma: the end of every row's values.
std::string extraValues(const TableWork& t) {
    std::string s;
    for (auto& e : t.target.extras) s += "," + consolidate::extraLiteral(e.value);
    return s;
}

}  // namespace

std::string replacePrefix(const TableWork& t) {
    std::string s = "REPLACE INTO " + t.target.qualified() + " (";
    for (std::size_t i = 0; i < t.written.size(); ++i)
        s += (i ? ", " : "") + db::quoteIdent(t.info.columns[t.written[i]].name);
    for (auto& e : t.target.extras) s += ", " + db::quoteIdent(e.column);
    return s + ") VALUES ";
}

std::string replacePlaceholders(const TableWork& t, std::uint64_t rows) {
    std::string row = "(";
    for (std::size_t i = 0; i < t.written.size(); ++i)
        row += (i ? "," : "") + writeExpression(t.info.columns[t.written[i]], "?");
    row += extraValues(t) + ')';
    std::string s = t.writePrefix;
    s.reserve(s.size() + rows * (row.size() + 1));
    for (std::uint64_t r = 0; r < rows; ++r) {
        if (r) s += ',';
        s += row;
    }
    return s;
}

std::string replaceText(const Batch& b) {
    const TableWork& t = *b.chunk->table;
    const std::size_t cols = t.written.size();
    std::string out = t.writePrefix;
    out.reserve(out.size() + b.data.size() + b.data.size() / 8 + b.rows * cols * 3);
    const char* value = b.data.data();
    const std::string extras = extraValues(t);
    for (std::size_t i = 0; i < b.lengths.size(); ++i) {
        const std::size_t col = i % cols;
        out += col == 0 ? (i ? extras + "),(" : "(") : ",";
        if (b.nulls[i]) {
            out += "NULL";
            continue;
        }
        const Column& c = t.info.columns[t.written[col]];
        if (c.kind == ValueKind::Number || c.kind == ValueKind::Bit) {
            out.append(value, b.lengths[i]);
            // A bare -0 is the integer 0: a FLOAT or DOUBLE -0 (or any of its values) must be a
            // floating-point literal.
            const std::string_view text(value, b.lengths[i]);
            if ((c.dataType == "double" || c.dataType == "float") && text.find_first_of("eE") == std::string_view::npos)
                out += "e0";
        } else if (convertedOnWrite(c)) {
            std::string quoted;
            binlog::appendQuotedBytes(quoted, {value, b.lengths[i]});
            out += writeExpression(c, quoted);
        } else {
            binlog::appendQuotedBytes(out, {value, b.lengths[i]});
        }
        value += b.lengths[i];
    }
    if (!b.lengths.empty()) out += extras + ')';
    return out;
}

std::uint64_t rowsPerStatement(const TableInfo& info, std::size_t columns, std::size_t batchBytes,
                               std::uint64_t maxRows) {
    const double avg = info.estimatedRows > 0 ? double(info.estimatedBytes) / double(info.estimatedRows) : 0;
    std::uint64_t rows = avg > 0 ? static_cast<std::uint64_t>(double(batchBytes) / avg) : 1000;
    rows = std::min<std::uint64_t>({rows, maxRows, 65535 / std::max<std::size_t>(1, columns)});
    return std::max<std::uint64_t>(rows, 1);
}

void prepareAdminSession(db::Connection& c) { db::dialect::applySession(c, db::dialect::SessionPurpose::Admin); }

void prepareWriteSession(db::Connection& c, bool /*tidb: detected with the version*/, bool physical) {
    db::dialect::applySession(
        c, physical ? db::dialect::SessionPurpose::CopyPhysical : db::dialect::SessionPurpose::CopyWrite);
}

BatchWriter::BatchWriter(const db::ConnectOptions& target, bool tidb, bool physical)
    : options_(target), tidb_(tidb), physical_(physical), conn_(db::connectWithRetry(target)) {
    prepareWriteSession(conn_, tidb_, physical_);
}

BatchWriter::~BatchWriter() = default;

void BatchWriter::connect() {
    statements_.clear();
    cachedParams_ = 0;
    conn_ = db::connectWithRetry(options_,
                                 db::RetryPolicy{2, std::chrono::milliseconds(200), std::chrono::milliseconds(1000)});
    prepareWriteSession(conn_, tidb_, physical_);
}

void BatchWriter::execute(const Batch& b) {
    if (prepared_ && b.rows == b.chunk->table->rowsPerStatement) executePrepared(b);
    else conn_.execute(replaceText(b));
}

void BatchWriter::executePrepared(const Batch& b) {
    const TableWork& t = *b.chunk->table;
    auto it = statements_.find(&t);
    if (it == statements_.end()) {
        // Bounded: each placeholder costs client memory, and the server counts statements.
        const std::uint64_t params = t.rowsPerStatement * t.written.size();
        if (statements_.size() >= 16 || cachedParams_ + params > 262'144) {
            statements_.clear();
            cachedParams_ = 0;
        }
        try {
            it = statements_.emplace(&t, db::Statement(conn_, replacePlaceholders(t, t.rowsPerStatement))).first;
        } catch (const db::DbError& e) {
            if (e.kind() != db::ErrorKind::Query) throw;
            // A target (or a proxy in front of it) that refuses prepared statements gets plain
            // ones; a real problem with the table fails the plain statement the same way.
            prepared_ = false;
            conn_.execute(replaceText(b));
            return;
        }
        cachedParams_ += params;
    }
    const std::size_t cols = t.written.size();
    const std::size_t n = b.lengths.size();
    binds_.assign(n, MYSQL_BIND{});
    bits_.resize(n);
    // The batch outlives the execution; libmariadb only reads through these pointers.
    char* value = const_cast<char*>(b.data.data());
    for (std::size_t i = 0; i < n; ++i) {
        MYSQL_BIND& p = binds_[i];
        p.is_null = const_cast<my_bool*>(&b.nulls[i]);
        if (b.nulls[i]) {
            p.buffer_type = MYSQL_TYPE_NULL;
            continue;
        }
        if (t.info.columns[t.written[i % cols]].kind == ValueKind::Bit) {
            // Read as `b + 0`: its decimal text. As a string the target would store the digits' bytes.
            bits_[i] = std::strtoull(std::string(value, b.lengths[i]).c_str(), nullptr, 10);
            p.buffer_type = MYSQL_TYPE_LONGLONG;
            p.is_unsigned = 1;
            p.buffer = &bits_[i];
        } else {
            p.buffer_type = MYSQL_TYPE_STRING;
            p.buffer = value;
            p.buffer_length = b.lengths[i];
            p.length = const_cast<unsigned long*>(&b.lengths[i]);
        }
        value += b.lengths[i];
    }
    it->second.execute(binds_.data());
}

bool legacyEnumBlank(const TableWork& t, const Batch& b, std::string_view message) {
    // "Data truncated for column 'e' at row 3": the row counts from 1 within the statement.
    static const std::string_view head = "Data truncated for column '";
    if (message.substr(0, head.size()) != head) return false;
    const auto nameEnd = message.rfind("' at row ");
    if (nameEnd == std::string_view::npos || nameEnd < head.size()) return false;
    const auto name = message.substr(head.size(), nameEnd - head.size());
    const std::size_t row = std::strtoull(std::string(message.substr(nameEnd + 9)).c_str(), nullptr, 10);
    if (row == 0) return false;
    for (std::size_t i = 0; i < t.written.size(); ++i) {
        const Column& c = t.info.columns[t.written[i]];
        if (c.name != name) continue;
        if (c.dataType != "enum") return false;
        const auto value = batchValue(b, t.written.size(), row - 1, i);
        return value && value->empty();
    }
    return false;
}

void BatchWriter::checkWarnings(const Batch& b) {
    if (mysql_warning_count(conn_.raw()) == 0) return;
    // An ENUM holding its '' error value (a non-strict source stored it for an invalid value)
    // is written as '' and stored as '', with warning 1265 each time: the same value, so it
    // passes. Every other warning means the target stored something else, and stops the copy.
    const auto warningCount = mysql_warning_count(conn_.raw());
    auto w = conn_.query("SHOW WARNINGS");
    bool allListed = w.size() >= warningCount;
    for (auto& r : w.rows) {
        if (r.size() < 3 || r[0].value_or("") == "Note") continue;
        if (r[1].value_or("") == std::to_string(db::dialect::kWarnDataTruncated) &&
            legacyEnumBlank(*b.chunk->table, b, r[2].value_or("")))
            continue;
        throw CopyError(options_.endpoint() + ": writing " + b.chunk->describe() + ": the target changed a value (" +
                        r[0].value_or("") + " " + r[1].value_or("") + ": " + r[2].value_or("") +
                        "); check that the target's column types match the source's");
    }
    if (!allListed)
        throw CopyError(options_.endpoint() + ": writing " + b.chunk->describe() + ": " + std::to_string(warningCount) +
                        " warnings, more than the target lists (max_error_count); check that the target's column "
                        "types match the source's");
}

bool BatchWriter::write(const Batch& b) { return writePiece(b); }

void BatchWriter::fail(const Batch& b, const db::DbError& e) const {
    throw db::DbError(e.kind(), e.code(),
                      std::string(e.what()) + " [writing " + b.chunk->describe() +
                          "; the copy is resumable: finished chunks are kept in tidemark_meta]",
                      e.serverText());
}

bool BatchWriter::writePiece(const Batch& b) {
    using db::dialect::ErrorClass;
    const TableWork& t = *b.chunk->table;
    // A REPLACE into a table with a unique key lands the same rows however often it runs; a
    // LOAD DATA (which inserts) or a keyless table's REPLACE (which appends) does not.
    const bool idempotent = !physical_ && !t.info.key.empty();
    for (int attempt = 1;; ++attempt) {
        bool sent = false;
        try {
            execute(b);
            sent = true;
            checkWarnings(b);
            return true;
        } catch (const db::DbError& e) {
            const auto cls = e.errorClass();
            const std::string text = e.serverText().empty() ? e.what() : e.serverText();
            if (cls == ErrorClass::Split) {
                if (b.rows < 2)
                    throw CopyError(
                        options_.endpoint() + ": " + t.info.qualified() + ": the row " +
                        rowKeyText(t, [&](std::size_t col) { return batchValue(b, t.written.size(), 0, col); }) +
                        " alone is too large for one target transaction (error " + std::to_string(e.code()) +
                        " from the target: " + text + "); raise TiDB's txn-total-size-limit or tidb_mem_quota_query");
                auto [first, second] = splitBatch(b);
                return writePiece(first) && writePiece(second);
            }
            if (cls == ErrorClass::EntryTooLarge) {
                // The server does not say which row: the largest one is the one to name.
                const auto [largest, size] = largestRow(b, t.written.size());
                throw CopyError(entryTooLargeMessage(
                    options_.endpoint(), t,
                    rowKeyText(t, [&](std::size_t col) { return batchValue(b, t.written.size(), largest, col); }), size,
                    "error " + std::to_string(e.code()) + " from the target: " + text));
            }
            const auto plan = db::dialect::retryPlanFor(e.code(), text);
            if (attempt > plan.attempts) {
                if (plan.attempts == 0) fail(b, e);
                fail(b,
                     db::DbError(
                         e.kind(), e.code(),
                         std::string(e.what()) + " (still failing after " + std::to_string(plan.attempts) + " retries)",
                         e.serverText()));
            }
            // Sent and then lost: the rows may be in the target, whatever the error says.
            const bool unknown = sent || db::dialect::mayHaveCommitted(e.code(), text);
            std::this_thread::sleep_for(plan.delay(attempt));
            if (cls == ErrorClass::Reconnect || unknown) {
                try {
                    connect();
                } catch (const db::DbError& again) {
                    fail(b, again);
                }
            }
            if (unknown && !idempotent) return false;
        }
    }
}

}  // namespace tidemark::copy
