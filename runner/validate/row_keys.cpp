#include "runner/validate/row_keys.h"

#include "runner/binlog/sql_literal.h"
#include "runner/db/connection.h"
#include "runner/db/hex.h"

#include <stdexcept>

namespace tidemark::validate {

namespace {

using Kind = binlog::Value::Kind;

bool usableKey(const replay::TableSchema& t) {
    if (t.identity.empty()) return false;
    for (auto i : t.identity)
        if (i >= t.columns.size() || t.columns[i].approximate) return false;
    return true;
}

// One key value for people, as cutover::renderKey shows it: numbers bare, bytes in hex, the rest quoted.
std::string keyValueText(const binlog::Value& v) {
    switch (v.kind) {
        case Kind::Int:
        case Kind::UInt:
        case Kind::Year:
        case Kind::Decimal:
        case Kind::Bit:
        case Kind::Enum:
        case Kind::Set: return binlog::sqlLiteral(v);
        case Kind::Bytes: return "0x" + db::toHex(v.data());
        case Kind::String: return "'" + std::string(v.data()) + "'";
        case Kind::Date:
        case Kind::Time:
        case Kind::DateTime:
        case Kind::Timestamp: return "'" + binlog::temporalText(v) + "'";
        default: return binlog::sqlLiteral(v);
    }
}

// The key of one row image; false when a key value is not in the image.
bool keyOf(const replay::TableSchema& t, const std::vector<binlog::Value>& image, RowKey& out) {
    out.database = t.database;
    out.table = t.name;
    for (auto i : t.identity) {
        if (i >= image.size() || !image[i].isPresent() || image[i].kind == Kind::JsonDiff) return false;
        const auto& name = t.columns[i].name;
        out.columns.push_back(name);
        out.literals.push_back(binlog::sqlLiteral(image[i]));
        out.text += (out.text.empty() ? "" : ", ") + name + "=" + keyValueText(image[i]);
    }
    return true;
}

void addKey(const replay::TableSchema& t, const std::vector<binlog::Value>& image, BatchKeys& out) {
    RowKey key;
    try {
        if (!keyOf(t, image, key)) return;
    } catch (const std::invalid_argument&) {
        return;  // a value without a literal: replay could not have matched it by key either
    }
    if (!out.keys.empty() && out.keys.back().id() == key.id()) return;
    out.keys.push_back(std::move(key));
}

}  // namespace

std::string RowKey::qualified() const { return db::qualified(database, table); }

std::string RowKey::id() const {
    std::string out = qualified();
    for (const auto& l : literals) out += '\x1f' + l;
    return out;
}

BatchKeys keysOf(const replay::Batch& batch) {
    BatchKeys out;
    for (const auto& change : batch.changes) {
        if (!change.table || !change.row) continue;
        const auto& t = *change.table;
        if (!usableKey(t)) {
            out.unkeyedTables.insert(t.qualified);
            continue;
        }
        if (change.kind != binlog::RowsKind::Write) addKey(t, change.row->before, out);
        if (change.kind != binlog::RowsKind::Delete) addKey(t, change.row->after, out);
    }
    return out;
}

}  // namespace tidemark::validate
