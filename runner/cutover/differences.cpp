#include "runner/cutover/differences.h"

#include "runner/copy/inspect.h"
#include "runner/copy/snapshot.h"
#include "runner/db/catalog.h"
#include "runner/db/hex.h"

#include <map>
#include <optional>
#include <set>

namespace tidemark::cutover {

namespace {

using Digests = std::map<std::vector<std::string>, std::string>;

// Key -> row digest of the rows in `where` ("" = all); nothing when there are more than the cap.
std::optional<Digests> digests(db::Connection& c, const copy::TableInfo& t, const std::string& where) {
    std::string sql = "SELECT ";
    for (auto k : t.key) sql += copy::readExpression(t.columns[k]) + ", ";
    sql += rowDigestExpression(t) + " FROM " + t.qualified();
    if (!where.empty()) sql += " WHERE " + where;
    sql += " LIMIT " + std::to_string(kMaxRowsPerRange + 1);
    const auto rows = c.query(sql);
    if (rows.size() > kMaxRowsPerRange) return std::nullopt;
    Digests out;
    for (const auto& r : rows.rows) {
        std::vector<std::string> key;
        for (std::size_t i = 0; i < t.key.size(); ++i) key.push_back(r[i].value_or("\x01NULL"));
        out[key] = r[t.key.size()].value_or("");
    }
    return out;
}

// The keys that differ in one chunk of a keyed table, up to `room` of them.
std::vector<Difference> keysOfRange(db::Connection& src, db::Connection& tgt, const copy::TableInfo& t,
                                    const copy::VerifyDifference& chunk, std::size_t room) {
    const auto onSource = digests(src, t, chunk.sourceWhere);
    const auto onTarget = digests(tgt, t, chunk.targetWhere);
    if (!onSource || !onTarget) return {};
    std::vector<Difference> out;
    const std::string qualified = t.qualified();
    auto add = [&](const std::vector<std::string>& key, const char* problem) {
        if (out.size() < room) out.push_back({qualified, renderKey(t, key), problem});
    };
    for (const auto& [key, digest] : *onSource) {
        const auto there = onTarget->find(key);
        if (there == onTarget->end()) add(key, "missing on the target");
        else if (there->second != digest) add(key, "differs");
    }
    for (const auto& [key, digest] : *onTarget)
        if (!onSource->count(key)) add(key, "only on the target");
    return out;
}

}  // namespace

std::string rowDigestExpression(const copy::TableInfo& t) {
    std::string values, nulls;
    for (const auto& c : t.columns) {
        const std::string col = db::quoteIdent(c.name);
        values += ", CAST(" + col + " AS BINARY)";
        nulls += (nulls.empty() ? "" : ", ") + std::string("ISNULL(") + col + ")";
    }
    return "SHA2(CONCAT_WS(0x1f" + values + ", CONCAT(" + nulls + ")), 256)";  // MySQL 9 has no MD5()
}

std::string renderKey(const copy::TableInfo& t, const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < t.key.size(); ++i) {
        const auto& c = t.columns[t.key[i]];
        const bool bare = c.kind == copy::ValueKind::Number || c.kind == copy::ValueKind::Bit;
        const std::string value = c.kind == copy::ValueKind::Binary ? "0x" + db::toHex(values[i])
            : bare                                                  ? values[i]
                                                                    : "'" + values[i] + "'";
        out += (i ? ", " : "") + c.name + "=" + value;
    }
    return out;
}

std::vector<Difference> locateDifferences(const db::ConnectOptions& source, const db::ConnectOptions& target,
                                          const copy::VerifyResult& verified, std::size_t limit) {
    std::vector<Difference> out;
    if (verified.differences.empty() || limit == 0) return out;
    auto src = db::Connection::open(source);
    auto tgt = db::Connection::open(target);
    copy::prepareReadSession(src);
    copy::prepareReadSession(tgt);
    for (const auto& found : verified.differences) {
        if (out.size() >= limit) break;
        const std::string qualified = db::qualified(found.database, found.table);
        if (!found.problem.empty()) {
            out.push_back({qualified, "", found.problem});
            continue;
        }
        std::vector<Difference> keys;
        try {
            const auto info = copy::inspectTable(src, found.database, found.table);
            if (!info.key.empty()) keys = keysOfRange(src, tgt, info, found, limit - out.size());
        } catch (const copy::CopyError&) {
            // Gone from the source since verify read it: the range's summary says what differed.
        }
        if (keys.empty()) keys.push_back({qualified, "", found.range + ": " + found.summary});
        out.insert(out.end(), keys.begin(), keys.end());
    }
    if (out.size() > limit) out.resize(limit);
    return out;
}

}  // namespace tidemark::cutover
