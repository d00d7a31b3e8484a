#include "runner/copy/chunker.h"

#include <mysql.h>

#include <algorithm>

namespace tidemark::copy {

namespace {

bool isIntegerType(const std::string& t) {
    return t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "bigint";
}

std::string keyColumns(const TableInfo& t) {
    std::string s;
    for (auto k : t.key) s += (s.empty() ? "" : ", ") + db::quoteIdent(t.columns[k].name);
    return s;
}

std::string keyExpressions(const TableInfo& t) {
    std::string s;
    for (auto k : t.key) s += (s.empty() ? "" : ", ") + keyExpression(t.columns[k]);
    return s;
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

std::string forceIndex(const TableInfo& t) { return " FORCE INDEX (" + db::quoteIdent(t.keyName) + ")"; }

}  // namespace

std::string keyAbove(const TableInfo& t, const std::vector<std::string>& lit) { return compare(t, lit, " > ", " > "); }
std::string keyAtMost(const TableInfo& t, const std::vector<std::string>& lit) {
    return compare(t, lit, " < ", " <= ");
}

std::uint64_t autoChunkRows(const TableInfo& t) {
    const std::uint64_t avg = std::max<std::uint64_t>(t.avgRowLength, 64);
    return std::clamp<std::uint64_t>((16u << 20) / avg, 1000, 2'000'000);
}

std::vector<ChunkRecord> planChunks(db::Connection& c, const TableInfo& t, std::uint64_t chunkRows) {
    if (t.key.empty()) return {{0, "", ChunkState::Planned}};
    chunkRows = std::max<std::uint64_t>(chunkRows, 1);
    std::vector<std::vector<std::string>> bounds;  // literals of each boundary (inclusive upper ends)

    const Column& first = t.columns[t.key[0]];
    bool done = false;
    if (t.key.size() == 1 && isIntegerType(first.dataType) && t.estimatedRows > chunkRows) {
        auto r = c.query("SELECT MIN(" + db::quoteIdent(first.name) + "), MAX(" + db::quoteIdent(first.name) +
                         ") FROM " + t.qualified());
        if (!r.empty() && r.rows[0][0] && r.rows[0][1]) {
            const bool isUnsigned = first.columnType.find("unsigned") != std::string::npos;
            __int128 lo, hi;
            if (isUnsigned) {
                lo = static_cast<__int128>(std::stoull(*r.rows[0][0]));
                hi = static_cast<__int128>(std::stoull(*r.rows[0][1]));
            } else {
                lo = std::stoll(*r.rows[0][0]);
                hi = std::stoll(*r.rows[0][1]);
            }
            const __int128 span = hi - lo + 1;
            // Dense enough (by the statistics) for equal-width ranges to hold similar row counts.
            if (static_cast<__int128>(t.estimatedRows) * 2 >= span) {
                const __int128 n = (static_cast<__int128>(t.estimatedRows) + chunkRows - 1) / chunkRows;
                const __int128 step = (span + n - 1) / n;
                for (__int128 b = lo + step - 1; b < hi; b += step) {
                    // print __int128
                    __int128 v = b;
                    bool neg = v < 0;
                    std::string s;
                    unsigned __int128 u = neg ? static_cast<unsigned __int128>(-v) : static_cast<unsigned __int128>(v);
                    do {
                        s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
                        u /= 10;
                    } while (u);
                    if (neg) s.insert(s.begin(), '-');
                    bounds.push_back({s});
                }
                done = true;
            }
        }
    }
    if (!done) {
        // Walk the index: each boundary is the key chunkRows rows past the previous one.
        std::vector<std::string> last;
        const std::string base = "SELECT " + keyExpressions(t) + " FROM " + t.qualified() + forceIndex(t);
        for (;;) {
            std::string sql = base;
            if (!last.empty()) sql += " WHERE " + keyAbove(t, last);
            sql += " ORDER BY " + keyColumns(t) + " LIMIT 1 OFFSET " + std::to_string(chunkRows - 1);
            auto r = c.query(sql);
            if (r.empty()) break;
            std::vector<std::string> lit;
            for (std::size_t i = 0; i < t.key.size(); ++i)
                lit.push_back(keyLiteral(t.columns[t.key[i]], r.rows[0][i].value_or("")));
            bounds.push_back(lit);
            last = std::move(lit);
        }
        // A boundary at the very last row leaves an empty final chunk; harmless, but skip the
        // walk's trailing check by keeping it (it catches rows inserted later).
    }

    std::vector<ChunkRecord> out;
    const std::size_t n = bounds.size() + 1;
    for (std::size_t i = 0; i < n; ++i) {
        std::string where;
        if (i > 0) where = keyAbove(t, bounds[i - 1]);
        if (i + 1 < n) where += (where.empty() ? "" : " AND ") + keyAtMost(t, bounds[i]);
        out.push_back({static_cast<int>(i), where, ChunkState::Planned});
    }
    return out;
}

}  // namespace tidemark::copy
