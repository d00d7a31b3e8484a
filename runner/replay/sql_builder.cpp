#include "runner/replay/sql_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "runner/binlog/sql_literal.h"
#include "runner/db/hex.h"

#include "runner/replay/compaction.h"

namespace tidemark::replay {

namespace {

enum class OpKind : uint8_t { Insert, Replace, DeleteKey, DeleteRow, UpdateKey, UpdateRow, Upsert };

struct Op {
    OpKind kind;
    const RowChange* change;
    bool useBefore;  // the image this op renders (DeleteKey of a safe UPDATE uses before)
    uint32_t round = 0;
    uint32_t group = 0;
    uint32_t order = 0;
};

// MariaDB's UUID type is logged in its record format, which stores RFC 4122 v1-v5 UUIDs with
// their segments swapped (index-friendly order); the target gets the text form.
bool appendUuidText(std::string& out, const ColumnSchema& col, const binlog::Value& v) {
    if (col.dataType != "uuid" || (v.kind != binlog::Value::Kind::Bytes && v.kind != binlog::Value::Kind::String))
        return false;
    std::string_view r = v.data();
    if (r.size() != 16) return false;
    const auto* b = reinterpret_cast<const unsigned char*>(r.data());
    unsigned char t[16];
    const bool swapped = (b[8] >> 4) >= 1 && (b[8] >> 4) <= 5 && (b[6] & 0xC0) == 0x80;
    if (swapped) {
        // record: node(6) clock(2) time_hi(2) time_mid(2) time_low(4)
        std::copy(b + 12, b + 16, t);
        std::copy(b + 10, b + 12, t + 4);
        std::copy(b + 8, b + 10, t + 6);
        std::copy(b + 6, b + 8, t + 8);
        std::copy(b, b + 6, t + 10);
    } else {
        std::copy(b, b + 16, t);
    }
    // xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
    const std::string_view bytes(reinterpret_cast<const char*>(t), 16);
    out += '\'';
    db::appendHex(out, bytes.substr(0, 4));
    for (std::size_t at : {4, 6, 8}) {
        out += '-';
        db::appendHex(out, bytes.substr(at, 2));
    }
    out += '-';
    db::appendHex(out, bytes.substr(10, 6));
    out += '\'';
    return true;
}

// A JSON document as plain utf8mb4 text, for a target whose JSON columns are text.
void appendJsonText(std::string& out, std::string_view json) {
    out += "_utf8mb4";
    binlog::appendQuotedBytes(out, json);
}

void appendValue(std::string& out, const ColumnSchema& col, const binlog::Value& v, const SqlDialect& d) {
    if (d.jsonAsText && v.kind == binlog::Value::Kind::Json) {
        appendJsonText(out, v.text);
        return;
    }
    if (!appendUuidText(out, col, v)) binlog::appendSqlLiteral(out, v);
}

// A partial JSON update for a target without a JSON type: JSON_EXTRACT(text, '$') makes each
// new value a JSON value (not a quoted string) to MariaDB's JSON_REPLACE / JSON_INSERT.
std::string jsonDiffAsText(std::string_view columnExpr, const binlog::Value& v) {
    std::string expr(columnExpr);
    for (const binlog::JsonDiff& diff : v.diffs) {
        std::string path;
        appendJsonText(path, diff.path);
        if (diff.op == binlog::JsonDiff::Op::Remove) {
            expr = "JSON_REMOVE(" + expr + ", " + path + ")";
            continue;
        }
        std::string value = "JSON_EXTRACT(";
        appendJsonText(value, diff.value);
        value += ", '$')";
        expr = std::string(diff.op == binlog::JsonDiff::Op::Replace ? "JSON_REPLACE(" : "JSON_INSERT(") + expr + ", " +
            path + ", " + value + ")";
    }
    return expr;
}

bool mergeable(OpKind k) {
    return k == OpKind::Insert || k == OpKind::Replace || k == OpKind::DeleteKey || k == OpKind::Upsert;
}

// Columns an INSERT/REPLACE writes: present in the after image and not generated.
std::string columnSignature(const RowChange& c) {
    std::string sig;
    const auto& img = c.row->after;
    for (size_t i = 0; i < img.size(); ++i)
        sig.push_back(img[i].isPresent() && !c.table->columns[i].generated ? '1' : '0');
    return sig;
}

bool afterComplete(const RowChange& c) {
    const auto& img = c.row->after;
    for (size_t i = 0; i < img.size(); ++i)
        if (!c.table->columns[i].generated && (!img[i].isPresent() || img[i].kind == binlog::Value::Kind::JsonDiff))
            return false;
    return true;
}

// An UPDATE that can join a multi-row INSERT ... ON DUPLICATE KEY UPDATE: the table's only unique
// key is its primary key, the update keeps it, and the after image has every column. On a target
// that holds the row (the invariant) the effect is exactly the UPDATE's.
bool upsertable(const RowChange& c) {
    const TableSchema& t = *c.table;
    if (t.primaryKey.empty() || !t.uniqueKeys.empty() || !afterComplete(c)) return false;
    for (uint32_t col : t.primaryKey) {
        const auto& a = c.row->after[col];
        const auto& b = c.row->before.at(col);
        if (!b.isPresent()) return false;
        if (binlog::sqlLiteral(a) != binlog::sqlLiteral(b)) return false;
    }
    return true;
}

const binlog::Value& keyValue(const RowChange& c, bool useBefore, uint32_t col) {
    const auto& img = useBefore ? c.row->before : c.row->after;
    if (col < img.size() && img[col].isPresent()) return img[col];
    return c.row->before.at(col);
}

// A routed table's extra columns (schema_tracker.h): their values are string constants that every
// row of this source table carries on the target, so they join each column list, value list and
// key match.
void appendExtraLiteral(std::string& out, const consolidate::ExtraValue& e) {
    out += consolidate::extraLiteral(e.value);
}

void appendKeyTuple(std::string& out, const RowChange& c, bool useBefore, const SqlDialect& d) {
    const auto& id = c.table->identity;
    const bool tuple = id.size() + c.table->extras.size() > 1;
    if (tuple) out += '(';
    for (size_t k = 0; k < id.size(); ++k) {
        if (k) out += ',';
        appendValue(out, c.table->columns[id[k]], keyValue(c, useBefore, id[k]), d);
    }
    for (const auto& e : c.table->extras) {
        out += ',';
        appendExtraLiteral(out, e);
    }
    if (tuple) out += ')';
}

void appendKeyColumns(std::string& out, const TableSchema& t) {
    const bool tuple = t.identity.size() + t.extras.size() > 1;
    if (tuple) out += '(';
    for (size_t k = 0; k < t.identity.size(); ++k) {
        if (k) out += ',';
        out += db::quoteIdent(t.columns[t.identity[k]].name);
    }
    for (const auto& e : t.extras) out += "," + db::quoteIdent(e.column);
    if (tuple) out += ')';
}

// " AND `extra` = <literal>" for each extra column.
void appendExtraMatch(std::string& out, const TableSchema& t) {
    if (!t.extras.empty()) out += " AND " + consolidate::extrasCondition(t.extras);
}

void appendWhereKey(std::string& out, const RowChange& c, const SqlDialect& d) {
    const auto& id = c.table->identity;
    for (size_t k = 0; k < id.size(); ++k) {
        if (k) out += " AND ";
        out += db::quoteIdent(c.table->columns[id[k]].name);
        out += " = ";
        appendValue(out, c.table->columns[id[k]], keyValue(c, true, id[k]), d);
    }
    appendExtraMatch(out, *c.table);
}

// The row to change in a table without a key: every written column of the before image, each
// compared exactly, then LIMIT 1 (one of identical rows is as good as another). Generated
// columns follow from the others. `<=>` matches NULLs; FLOAT/DOUBLE literals are exact
// (sql_literal.h); VECTOR has no comparison operator, so its bytes are compared. Where the
// server's equality is looser than identity (a string under a case-insensitive or PAD SPACE
// collation, 0.0 against -0.0), a variable-length string's bytes are a further condition, and for
// CHAR (padded) and zeros ORDER BY puts the identical row first, a preference, not a condition.
// JSON compares as documents: 1 and 1.0 are one value to it.
void appendWhereRow(std::string& out, const RowChange& c, const SqlDialect& d) {
    const auto& img = c.row->before;
    std::vector<std::string> exact;  // conditions that single out the identical row
    bool first = true;
    for (size_t i = 0; i < img.size(); ++i) {
        const auto& col = c.table->columns[i];
        const binlog::Value& v = img[i];
        if (!v.isPresent() || col.generated) continue;
        if (!first) out += " AND ";
        first = false;
        const std::string name = db::quoteIdent(col.name);
        if (v.kind == binlog::Value::Kind::Vector || col.dataType == "vector") {
            out += "CAST(" + name + " AS BINARY) <=> ";
            appendValue(out, col, v, d);
            continue;
        }
        out += name;
        out += " <=> ";
        appendValue(out, col, v, d);
        if (v.kind == binlog::Value::Kind::String && col.dataType != "uuid") {
            std::string e = "CAST(" + name + " AS BINARY) <=> _binary";
            binlog::appendQuotedBytes(e, v.data());
            // A variable-length string is stored byte for byte (the target keeps the source's
            // charset: db/dialect/collations.h), so its bytes are a condition: LIMIT 1 stops at
            // the first identical row. ORDER BY instead would read and sort every loose match on
            // each change (replay of a busy keyless table fell behind for good). CHAR pads, so it
            // stays a preference.
            if (col.dataType == "char") exact.push_back(std::move(e));
            else out += " AND " + e;
        } else if ((v.kind == binlog::Value::Kind::Double && v.d == 0) ||
                   (v.kind == binlog::Value::Kind::Float && v.f == 0)) {
            const bool negative = v.kind == binlog::Value::Kind::Double ? std::signbit(v.d) : std::signbit(v.f);
            exact.push_back("CAST(" + name + " AS CHAR) = '" + (negative ? "-0" : "0") + "'");
        }
    }
    if (first) out += "1";
    appendExtraMatch(out, *c.table);
    if (!exact.empty()) {
        out += " ORDER BY ";
        if (exact.size() > 1) out += '(';
        for (size_t k = 0; k < exact.size(); ++k) out += (k ? " AND " : "") + exact[k];
        if (exact.size() > 1) out += ')';
        out += " DESC";
    }
    out += " LIMIT 1";
}

void appendSet(std::string& out, const RowChange& c, const SqlDialect& d) {
    const auto& img = c.row->after;
    bool first = true;
    for (size_t i = 0; i < img.size(); ++i) {
        const auto& col = c.table->columns[i];
        if (!img[i].isPresent() || col.generated) continue;
        if (!first) out += ", ";
        first = false;
        const std::string name = db::quoteIdent(col.name);
        out += name;
        out += " = ";
        if (img[i].kind == binlog::Value::Kind::JsonDiff)
            out += d.jsonAsText ? jsonDiffAsText(name, img[i]) : binlog::jsonDiffExpression(name, img[i]);
        else appendValue(out, col, img[i], d);
    }
}

void appendValuesRow(std::string& out, const RowChange& c, const SqlDialect& d) {
    const auto& img = c.row->after;
    out += '(';
    bool first = true;
    for (size_t i = 0; i < img.size(); ++i) {
        if (!img[i].isPresent() || c.table->columns[i].generated) continue;
        if (!first) out += ',';
        first = false;
        appendValue(out, c.table->columns[i], img[i], d);
    }
    for (const auto& e : c.table->extras) {
        out += ',';
        appendExtraLiteral(out, e);
    }
    out += ')';
}

void appendInsertHead(std::string& out, const RowChange& c, bool replace) {
    out += replace ? "REPLACE INTO " : "INSERT INTO ";
    out += c.table->qualified;
    out += " (";
    const auto& img = c.row->after;
    bool first = true;
    for (size_t i = 0; i < img.size(); ++i) {
        if (!img[i].isPresent() || c.table->columns[i].generated) continue;
        if (!first) out += ',';
        first = false;
        out += db::quoteIdent(c.table->columns[i].name);
    }
    for (const auto& e : c.table->extras) out += "," + db::quoteIdent(e.column);
    out += ") VALUES ";
}

// ---- Step 1: operations. Each change becomes the operation(s) that apply it, and the changes
// of one compactable key merge by compaction.h's table.

// Components whose changes may merge (compaction.h says when).
std::unordered_map<uint32_t, bool> compactableComponents(const std::vector<RowChange>& changes,
                                                         const std::vector<uint32_t>& share,
                                                         const std::vector<uint32_t>& component) {
    std::unordered_map<uint32_t, bool> compactable;
    for (uint32_t idx : share) {
        const RowChange& c = changes[idx];
        bool ok = !c.safe && !c.table->primaryKey.empty() && c.table->uniqueKeys.empty();
        if (ok && c.kind == binlog::RowsKind::Update) ok = upsertable(c);
        if (ok && c.kind == binlog::RowsKind::Write) ok = afterComplete(c);
        auto [it, inserted] = compactable.emplace(component[idx], ok);
        if (!inserted) it->second = it->second && ok;
    }
    return compactable;
}

// The operations of one change on its own.
void appendOpsFor(std::vector<Op>& ops, const RowChange& c) {
    const bool keyed = !c.table->identity.empty();
    switch (c.kind) {
        case binlog::RowsKind::Write: ops.push_back({c.safe ? OpKind::Replace : OpKind::Insert, &c, false}); break;
        case binlog::RowsKind::Delete: ops.push_back({keyed ? OpKind::DeleteKey : OpKind::DeleteRow, &c, true}); break;
        case binlog::RowsKind::Update:
            if (!keyed) {
                ops.push_back({OpKind::UpdateRow, &c, true});
            } else if (c.safe && afterComplete(c)) {
                // Safe mode: the row may be missing or stale on the target; delete + replace
                // leaves exactly the after image either way.
                ops.push_back({OpKind::DeleteKey, &c, true});
                ops.push_back({OpKind::Replace, &c, false});
            } else if (upsertable(c)) {
                ops.push_back({OpKind::Upsert, &c, false});
            } else {
                ops.push_back({OpKind::UpdateKey, &c, true});
            }
            break;
    }
}

// A compactable key's held operation as compaction.h names it. Only Insert, Upsert and
// DeleteKey are ever held: what appendOpsFor makes of a compactable change.
HeldOp heldOf(OpKind k) {
    switch (k) {
        case OpKind::Insert: return HeldOp::Insert;
        case OpKind::Upsert: return HeldOp::Upsert;
        default: return HeldOp::DeleteKey;
    }
}

// The share's operations in source order, compacted.
std::vector<Op> planOps(const std::vector<RowChange>& changes, const std::vector<uint32_t>& share,
                        const std::vector<uint32_t>& component) {
    const auto compactable = compactableComponents(changes, share, component);
    std::vector<Op> ops;
    ops.reserve(share.size() + share.size() / 4);
    std::vector<bool> dead;                     // ops merged away (Merged::Nothing)
    std::unordered_map<uint32_t, size_t> held;  // compactable component -> its held op in `ops`
    for (uint32_t idx : share) {
        const RowChange& c = changes[idx];
        const uint32_t comp = component[idx];
        if (compactable.at(comp)) {
            auto it = held.find(comp);
            if (it != held.end()) {
                Op& prev = ops[it->second];
                if (auto merged = mergeChange(heldOf(prev.kind), c.kind)) {
                    switch (*merged) {
                        case Merged::Insert: prev = Op{OpKind::Insert, &c, false}; break;
                        case Merged::Upsert: prev = Op{OpKind::Upsert, &c, false}; break;
                        case Merged::DeleteKey: prev = Op{OpKind::DeleteKey, &c, true}; break;
                        case Merged::Nothing:
                            dead[it->second] = true;
                            held.erase(it);
                            break;
                    }
                    continue;
                }
            }
            held[comp] = ops.size();  // the op appended next
        }
        appendOpsFor(ops, c);
        dead.resize(ops.size(), false);
    }
    std::vector<Op> live;
    live.reserve(ops.size());
    for (size_t i = 0; i < ops.size(); ++i)
        if (!dead[i]) live.push_back(ops[i]);
    return live;
}

// ---- Step 2: rounds. Operations of one (kind, table, written columns) form a group, which
// can become one multi-row statement; the i-th step of every component goes into round i, and
// the operations are sorted by round, then group.
void arrangeRounds(std::vector<Op>& ops, const std::vector<RowChange>& changes,
                   const std::vector<uint32_t>& component) {
    std::unordered_map<std::string, uint32_t> groups;  // ids in order of first appearance
    struct CompState {
        uint32_t round = 0;
        int64_t lastGroup = -1;
        bool lastMergeable = false;
        bool any = false;
    };
    std::unordered_map<uint32_t, CompState> comps;
    for (size_t i = 0; i < ops.size(); ++i) {
        Op& op = ops[i];
        op.order = static_cast<uint32_t>(i);
        std::string key(1, static_cast<char>(op.kind));
        key += op.change->table->qualified;
        if (op.kind == OpKind::Insert || op.kind == OpKind::Replace || op.kind == OpKind::Upsert)
            key += columnSignature(*op.change);
        if (!mergeable(op.kind)) key += "#" + std::to_string(i);  // one statement each
        auto [it, _] = groups.emplace(key, static_cast<uint32_t>(groups.size()));
        op.group = it->second;
        CompState& cs = comps[component[op.change - changes.data()]];
        // Consecutive operations of one component that land in the same multi-row statement
        // keep their order inside it; anything else starts the next round.
        if (cs.any && !(cs.lastMergeable && cs.lastGroup == op.group)) ++cs.round;
        op.round = cs.round;
        cs.any = true;
        cs.lastGroup = op.group;
        cs.lastMergeable = mergeable(op.kind);
    }
    std::stable_sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) {
        return a.round != b.round ? a.round < b.round : a.group < b.group;
    });
}

// ---- Step 3: SQL. Each run of one round and group becomes one statement (or several, at the
// limits); the other kinds are one statement per operation.

// Appends rows of ops[i..] of the same round and group with `appendRow`, separated by commas,
// until the limits; returns the index after the last one taken (at least one is).
template <class AppendRow>
size_t appendRun(std::string& sql, const std::vector<Op>& ops, size_t i, const SqlLimits& limits, AppendRow appendRow) {
    size_t j = i;
    for (; j < ops.size() && ops[j].round == ops[i].round && ops[j].group == ops[i].group; ++j) {
        if (j > i && (j - i >= limits.maxRowsPerStatement || sql.size() >= limits.maxBytesPerStatement)) break;
        if (j > i) sql += ',';
        appendRow(*ops[j].change);
    }
    return j;
}

// " ON DUPLICATE KEY UPDATE" of an upsert: every written non-key column from VALUES(); a table
// of key columns only names its first key column, a no-op that makes the clause valid.
void appendOnDuplicate(std::string& sql, const TableSchema& t) {
    sql += " ON DUPLICATE KEY UPDATE ";
    bool first = true;
    for (size_t k = 0; k < t.columns.size(); ++k) {
        const auto& col = t.columns[k];
        if (col.generated || std::find(t.primaryKey.begin(), t.primaryKey.end(), k) != t.primaryKey.end()) continue;
        if (!first) sql += ", ";
        first = false;
        const std::string name = db::quoteIdent(col.name);
        sql += name + " = VALUES(" + name + ")";
    }
    if (first) {
        const std::string name = db::quoteIdent(t.columns[t.primaryKey[0]].name);
        sql += name + " = " + name;
    }
}

// The statement that starts at ops[i]; returns the index of the first op it does not cover.
size_t renderStatement(Statement& st, const std::vector<Op>& ops, size_t i, const SqlDialect& d,
                       const SqlLimits& limits) {
    const Op& op = ops[i];
    const TableSchema& t = *op.change->table;
    st.table = &t;
    std::string& sql = st.sql;
    size_t j = i + 1;
    switch (op.kind) {
        case OpKind::Insert:
        case OpKind::Replace:
        case OpKind::Upsert:
            appendInsertHead(sql, *op.change, op.kind == OpKind::Replace);
            j = appendRun(sql, ops, i, limits, [&](const RowChange& c) { appendValuesRow(sql, c, d); });
            if (op.kind == OpKind::Upsert) appendOnDuplicate(sql, t);
            break;
        case OpKind::DeleteKey:
            sql += "DELETE FROM " + t.qualified + " WHERE ";
            appendKeyColumns(sql, t);
            sql += " IN (";
            j = appendRun(sql, ops, i, limits, [&](const RowChange& c) { appendKeyTuple(sql, c, true, d); });
            sql += ')';
            break;
        case OpKind::DeleteRow:
            sql += "DELETE FROM " + t.qualified + " WHERE ";
            appendWhereRow(sql, *op.change, d);
            break;
        case OpKind::UpdateKey:
        case OpKind::UpdateRow:
            sql += "UPDATE " + t.qualified + " SET ";
            appendSet(sql, *op.change, d);
            sql += " WHERE ";
            if (op.kind == OpKind::UpdateKey) appendWhereKey(sql, *op.change, d);
            else appendWhereRow(sql, *op.change, d);
            break;
    }
    st.rows = j - i;
    return j;
}

}  // namespace

std::vector<Statement> buildStatements(const std::vector<RowChange>& changes, const std::vector<uint32_t>& share,
                                       const std::vector<uint32_t>& component, const SqlDialect& dialect,
                                       const SqlLimits& limits) {
    std::vector<Op> ops = planOps(changes, share, component);
    arrangeRounds(ops, changes, component);
    std::vector<Statement> out;
    for (size_t i = 0; i < ops.size();) {
        Statement st;
        i = renderStatement(st, ops, i, dialect, limits);
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace tidemark::replay
