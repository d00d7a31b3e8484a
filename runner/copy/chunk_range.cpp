#include "runner/copy/chunk_range.h"

#include "runner/copy/full_copy.h"
#include "runner/db/dialect/collations.h"
#include "runner/db/hex.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace tidemark::copy {

namespace {

// Rows deleted per statement when clearing a range (a TiDB transaction stays far below its size
// limits), and keys read from the source per page when clearing by key.
constexpr std::uint64_t kDeleteBatch = 5000;
constexpr std::uint64_t kKeyPage = 1000;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// One spelling for the names servers give one charset or collation (utf8mb3 and its collations
// are utf8 on some): the dialect's.
std::string charsetKey(std::string_view charset) { return db::dialect::tidbCharset(charset); }
std::string collationKey(std::string_view collation) {
    const auto cut = collation.find('_');
    if (cut == std::string_view::npos) return charsetKey(collation);
    return charsetKey(collation.substr(0, cut)) + lower(std::string(collation.substr(cut)));
}

std::string fromHex(std::string_view hex) {
    auto bytes = db::fromHex(hex);
    if (!bytes) throw std::invalid_argument("\"" + std::string(hex) + "\" is not an even count of hex digits");
    return *bytes;
}

KeyValues valuesFrom(const nlohmann::json& j, const std::string& name) {
    if (!j.is_array() || j.empty()) throw std::invalid_argument("\"" + name + "\" is not a non-empty array");
    KeyValues out;
    for (auto& v : j) {
        if (!v.is_string()) throw std::invalid_argument("\"" + name + "\" holds a value that is not a hex string");
        out.push_back(fromHex(v.get<std::string>()));
    }
    return out;
}

// Lexicographic comparison of the key with literals: `op` is the strict operator for all but
// the last column, `lastOp` for the last one.
std::string compare(const TableInfo& t, const std::vector<std::string>& lit, const char* op, const char* lastOp) {
    std::string out;
    for (std::size_t i = 0; i < t.key.size(); ++i) {
        std::string term;
        for (std::size_t j = 0; j < i; ++j) term += keyExpression(t.columns[t.key[j]]) + " = " + lit[j] + " AND ";
        term += keyExpression(t.columns[t.key[i]]) + (i + 1 == t.key.size() ? lastOp : op) + lit[i];
        if (t.key.size() == 1) return term;
        out += (out.empty() ? "(" : " OR (") + term + ")";
    }
    return "(" + out + ")";
}

[[noreturn]] void misfit(const TableInfo& t, const std::string& what) {
    throw CopyError("table " + t.qualified() + ": a chunk range stored in tidemark_meta does not fit its key " +
                    db::quoteIdent(t.keyName) + " (" + std::to_string(t.key.size()) + " column(s)): " + what +
                    "; the key changed since the copy was planned, so copy this table again from the start");
}

std::vector<std::string> literals(const TableInfo& t, const KeyValues& values, const KeySide& side) {
    if (values.size() != t.key.size()) misfit(t, std::to_string(values.size()) + " value(s) at one end of the range");
    if (side.columns.size() != t.key.size()) misfit(t, "the server's description has another number of key columns");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const Column& c = t.columns[t.key[i]];
        try {
            out.push_back(keyLiteral(c, values[i], side.columns[i].charset, side.columns[i].collation));
        } catch (const std::invalid_argument& e) {
            misfit(t, "column " + db::quoteIdent(c.name) + ": " + e.what());
        }
    }
    return out;
}

// Sets the session time zone to UTC (the zone every key value was read in, so a TIMESTAMP
// literal means the same instant) and restores the session's own on the way out.
class UtcSession {
public:
    explicit UtcSession(db::Connection& c) : c_(c), zone_(c.scalar("SELECT @@session.time_zone").value_or("SYSTEM")) {
        c_.execute("SET SESSION time_zone = '+00:00'");
    }
    ~UtcSession() {
        try {
            c_.execute("SET SESSION time_zone = " + c_.quote(zone_));
        } catch (...) {}
    }
    UtcSession(const UtcSession&) = delete;
    UtcSession& operator=(const UtcSession&) = delete;

private:
    db::Connection& c_;
    std::string zone_;
};

}  // namespace

std::string keyColumnList(const TableInfo& t) {
    std::string s;
    for (auto k : t.key) s += (s.empty() ? "" : ", ") + db::quoteIdent(t.columns[k].name);
    return s;
}

std::string keyExpressionList(const TableInfo& t) {
    std::string s;
    for (auto k : t.key) s += (s.empty() ? "" : ", ") + keyExpression(t.columns[k]);
    return s;
}

std::string keyAbove(const TableInfo& t, const std::vector<std::string>& lit) { return compare(t, lit, " > ", " > "); }
std::string keyAtMost(const TableInfo& t, const std::vector<std::string>& lit) {
    return compare(t, lit, " < ", " <= ");
}

std::string encodeRange(const ChunkRange& r) {
    auto values = [](const KeyValues& v) {
        nlohmann::json a = nlohmann::json::array();
        for (auto& x : v) a.push_back(db::toHex(x));
        return a;
    };
    nlohmann::json j = nlohmann::json::object();
    if (r.after) j["after"] = values(*r.after);
    if (r.through) j["through"] = values(*r.through);
    return j.dump();
}

ChunkRange decodeRange(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::invalid_argument("not a JSON object");
    ChunkRange r;
    for (auto& [name, value] : j.items()) {
        if (name == "after") r.after = valuesFrom(value, name);
        else if (name == "through") r.through = valuesFrom(value, name);
        else throw std::invalid_argument("unknown field \"" + name + "\"");
    }
    return r;
}

KeySide sourceKeySide(const TableInfo& t) {
    KeySide s;
    for (auto k : t.key) s.columns.push_back({t.columns[k].charset, t.columns[k].collation, t.columns[k].dataType});
    return s;
}

KeySide expectedTargetKeySide(const TableInfo& t, bool tidb) {
    KeySide s = sourceKeySide(t);
    for (std::size_t i = 0; i < t.key.size(); ++i) {
        const Column& c = t.columns[t.key[i]];
        auto& side = s.columns[i];
        if (c.kind == ValueKind::TextForm) side = {"", "", ""};
        if (tidb && c.kind == ValueKind::Text && !c.charset.empty()) {
            side.charset = db::dialect::tidbCharset(c.charset);
            if (!c.collation.empty()) side.collation = db::dialect::tidbCollation(c.collation);
        }
    }
    return s;
}

KeySide targetKeySide(db::Connection& target, const TableInfo& t, bool tidb) {
    return targetKeySide(target, t, sameAsSource(t), tidb);
}

KeySide targetKeySide(db::Connection& target, const TableInfo& t, const TargetTable& into, bool tidb) {
    KeySide s = expectedTargetKeySide(t, tidb);
    auto rows = target.query(
        "SELECT COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
        "TABLE_SCHEMA = " +
        target.quote(into.db) + " AND TABLE_NAME = " + target.quote(into.name));
    std::map<std::string, KeyColumnSide> found;
    for (auto& r : rows.rows)
        found[lower(r[0].value_or(""))] = {r[1].value_or(""), r[2].value_or(""), lower(r[3].value_or(""))};
    for (std::size_t i = 0; i < t.key.size(); ++i) {
        auto it = found.find(lower(t.columns[t.key[i]].name));
        if (it != found.end()) s.columns[i] = it->second;
    }
    return s;
}

bool sameOrder(const TableInfo& t, const KeySide& side) {
    if (side.columns.size() != t.key.size()) return false;
    for (std::size_t i = 0; i < t.key.size(); ++i) {
        const Column& c = t.columns[t.key[i]];
        const KeyColumnSide& s = side.columns[i];
        if (c.kind == ValueKind::TextForm && lower(s.dataType) != lower(c.dataType)) return false;
        if (c.kind == ValueKind::Text && !c.charset.empty() &&
            (charsetKey(s.charset) != charsetKey(c.charset) || collationKey(s.collation) != collationKey(c.collation)))
            return false;
    }
    return true;
}

std::string renderRange(const TableInfo& t, const ChunkRange& r, const KeySide& side) {
    if (r.whole()) return "";
    if (t.key.empty()) misfit(t, "the table has no usable key now");
    std::string where;
    if (r.after) where = keyAbove(t, literals(t, *r.after, side));
    if (r.through) where += (where.empty() ? "" : " AND ") + keyAtMost(t, literals(t, *r.through, side));
    return where;
}

std::string renderKeyIn(const TableInfo& t, const std::vector<KeyValues>& keys, const KeySide& side) {
    if (keys.empty()) return "FALSE";
    std::string list;
    for (auto& k : keys) {
        auto lit = literals(t, k, side);
        std::string tuple;
        for (auto& l : lit) tuple += (tuple.empty() ? "" : ", ") + l;
        list += (list.empty() ? "" : ", ") + (t.key.size() == 1 ? tuple : "(" + tuple + ")");
    }
    const std::string lhs = t.key.size() == 1 ? keyExpressionList(t) : "(" + keyExpressionList(t) + ")";
    return lhs + " IN (" + list + ")";
}

// Clearing a started chunk from the target. The rows to remove are the ones the interrupted run
// wrote: rows whose key lies in the range by the SOURCE's order (that is how they were read).
//
// - When the target compares every key column as the source does (sameOrder), the range rendered
//   with the target's collations selects exactly those rows there, and is deleted in batches.
// - When it does not (latin1_swedish_ci on the source, latin1_bin on a TiDB target; a reused
//   target table declared with another collation), the same range selects other rows on the
//   target: 'B' lies between 'a' and 'c' case-insensitively but not in binary. Deleting by it
//   would remove rows of chunks already done (lost for good: nothing copies them again) and
//   leave rows of this one (duplicated or stale after the recopy). No range in the target's
//   order fits, so the source decides membership: the keys the source holds in the range now are
//   read page by page in the source's own order and deleted on the target by exact value
//   (`key IN (...)`). That deletes no row of another chunk (a key equal on the target to one in
//   this chunk could not have coexisted with it under the target's unique key anyway). It keeps
//   a row the interrupted run wrote whose source row has since been deleted or re-keyed; that
//   change came after the earlier snapshot, and a copy that resumed is replayed in safe mode
//   from its earliest snapshot (full_copy.h), which applies it. If the source did not change
//   between the runs, the keys read are exactly the rows that were written.
std::uint64_t clearChunk(db::Connection& source, db::Connection& target, const TableInfo& t, const ChunkRange& r,
                         const KeySide& targetSide) {
    return clearChunk(source, target, t, sameAsSource(t), r, targetSide);
}

// A routed table (target_table.h) is cleared the same way, with two differences. Rows of other
// source tables in a merged table must survive: with extra columns every statement also
// matches this source table's values (a whole table or a keyless one is deleted by them alone,
// never truncated); without extra columns a range would also select the other shards' rows
// between its ends, so the rows go by the exact keys the source holds (the conflict check,
// shard_conflicts.h, made sure no other shard holds those keys).
std::uint64_t clearChunk(db::Connection& source, db::Connection& target, const TableInfo& t, const TargetTable& into,
                         const ChunkRange& r, const KeySide& targetSide) {
    const std::string mine = into.extrasCondition();
    const std::string andMine = mine.empty() ? "" : " AND " + mine;
    if (!into.merged && (r.whole() || t.key.empty())) {
        target.execute("TRUNCATE TABLE " + into.qualified());
        return 0;
    }
    if (t.key.empty() && into.sharesRowsByKey())
        throw CopyError(into.label() + ": a table without a key merged without an extra column cannot be cleared");
    auto deleteWhere = [&](const std::string& where) {
        const std::string sql =
            "DELETE FROM " + into.qualified() + " WHERE " + where + " LIMIT " + std::to_string(kDeleteBatch);
        std::uint64_t deleted = 0;
        for (;;) {
            target.execute(sql);
            const auto n = target.affectedRows();
            deleted += n;
            if (n < kDeleteBatch) return deleted;
        }
    };
    if (!mine.empty() && (r.whole() || t.key.empty())) return deleteWhere(mine);
    UtcSession utc(target);
    if (!r.whole() && !into.sharesRowsByKey() && sameOrder(t, targetSide))
        return deleteWhere(renderRange(t, r, targetSide) + andMine);
    const KeySide sourceSide = sourceKeySide(t);
    const std::string select = "SELECT " + keyExpressionList(t) + " FROM " + t.qualified() + " FORCE INDEX (" +
        db::quoteIdent(t.keyName) + ") WHERE ";
    std::uint64_t deleted = 0;
    ChunkRange page = r;
    for (;;) {
        const std::string range = renderRange(t, page, sourceSide);
        auto rows = source.query(select + (range.empty() ? "TRUE" : range) + " ORDER BY " + keyColumnList(t) +
                                 " LIMIT " + std::to_string(kKeyPage));
        std::vector<KeyValues> keys;
        for (auto& row : rows.rows) {
            KeyValues k;
            for (std::size_t i = 0; i < t.key.size(); ++i) k.push_back(row[i].value_or(""));
            keys.push_back(std::move(k));
        }
        if (keys.empty()) return deleted;
        target.execute("DELETE FROM " + into.qualified() + " WHERE " + renderKeyIn(t, keys, targetSide) + andMine);
        deleted += target.affectedRows();
        if (keys.size() < kKeyPage) return deleted;
        page.after = std::move(keys.back());
    }
}

}  // namespace tidemark::copy
