#include "runner/copy/batch_limits.h"

#include <algorithm>

#include "runner/db/hex.h"

namespace tidemark::copy {

namespace {

// Per value: quotes, a separator, and `CONVERT(... USING utf8mb4)` or an `e0` suffix.
constexpr std::size_t kValueOverhead = 32;

std::string unescapeTsv(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] != '\\' || i + 1 == field.size()) {
            out += field[i];
            continue;
        }
        const char e = field[++i];
        out += e == '0' ? '\0' : e == 't' ? '\t' : e == 'n' ? '\n' : e;
    }
    return out;
}

// Start offsets of the lines of a LOAD DATA batch (every row ends with '\n'; data newlines are
// escaped), plus the end.
std::vector<std::size_t> lineStarts(const std::string& data) {
    std::vector<std::size_t> starts{0};
    for (std::size_t p = data.find('\n'); p != std::string::npos; p = data.find('\n', p + 1)) starts.push_back(p + 1);
    return starts;
}

std::string shown(std::string_view v) {
    constexpr std::size_t kMax = 64;
    const bool printable = std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    if (printable) {
        std::string out = "'";
        for (char c : v.substr(0, kMax)) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        return out + (v.size() > kMax ? "...'" : "'");
    }
    return "0x" + db::toHex(v.substr(0, kMax / 2), /*upper=*/true) + (v.size() > kMax / 2 ? "..." : "");
}

}  // namespace

std::size_t statementBound(const unsigned long* lengths, std::size_t n) {
    std::size_t bound = 4;  // "(", ")", ",", "\n"
    for (std::size_t i = 0; i < n; ++i) bound += 2 * lengths[i] + kValueOverhead;
    return bound;
}

std::optional<std::string> batchValue(const Batch& b, std::size_t columns, std::size_t row, std::size_t col) {
    if (!b.lengths.empty()) {
        const std::size_t at = row * columns + col;
        if (at >= b.lengths.size() || b.nulls[at]) return std::nullopt;
        std::size_t offset = 0;
        for (std::size_t i = 0; i < at; ++i) offset += b.lengths[i];
        return std::string(std::string_view(b.data).substr(offset, b.lengths[at]));
    }
    std::size_t start = 0;
    for (std::size_t r = 0; r < row; ++r) {
        const auto eol = b.data.find('\n', start);
        if (eol == std::string::npos) return std::nullopt;
        start = eol + 1;
    }
    for (std::size_t c = 0; c < col; ++c) {
        start = b.data.find('\t', start);
        if (start == std::string::npos) return std::nullopt;
        ++start;
    }
    const auto end = b.data.find_first_of("\t\n", start);
    const auto field = std::string_view(b.data).substr(start, end == std::string::npos ? end : end - start);
    if (field == "\\N") return std::nullopt;
    return unescapeTsv(field);
}

std::size_t rowBytes(const Batch& b, std::size_t columns, std::size_t row) {
    if (!b.lengths.empty()) {
        std::size_t n = 0;
        for (std::size_t i = row * columns; i < (row + 1) * columns && i < b.lengths.size(); ++i) n += b.lengths[i];
        return n;
    }
    const auto starts = lineStarts(b.data);
    return row + 1 < starts.size() ? starts[row + 1] - starts[row] : 0;
}

std::pair<std::size_t, std::size_t> largestRow(const Batch& b, std::size_t columns) {
    std::pair<std::size_t, std::size_t> best{0, 0};
    const auto consider = [&](std::size_t row, std::size_t size) {
        if (size > best.second) best = {row, size};
    };
    if (!b.lengths.empty()) {
        for (std::size_t r = 0; r * columns < b.lengths.size(); ++r) {
            std::size_t n = 0;
            for (std::size_t i = r * columns; i < (r + 1) * columns && i < b.lengths.size(); ++i) n += b.lengths[i];
            consider(r, n);
        }
        return best;
    }
    const auto starts = lineStarts(b.data);
    for (std::size_t r = 0; r + 1 < starts.size(); ++r) consider(r, starts[r + 1] - starts[r]);
    return best;
}

std::pair<Batch, Batch> splitBatch(const Batch& b) {
    std::pair<Batch, Batch> out;
    auto& [first, second] = out;
    first.chunk = second.chunk = b.chunk;
    first.rows = b.rows / 2;
    second.rows = b.rows - first.rows;
    std::size_t cut = 0;
    if (!b.lengths.empty()) {
        const std::size_t columns = b.lengths.size() / std::max<std::uint64_t>(1, b.rows);
        const std::size_t values = first.rows * columns;
        for (std::size_t i = 0; i < values; ++i) cut += b.lengths[i];
        first.lengths.assign(b.lengths.begin(), b.lengths.begin() + values);
        second.lengths.assign(b.lengths.begin() + values, b.lengths.end());
        first.nulls.assign(b.nulls.begin(), b.nulls.begin() + values);
        second.nulls.assign(b.nulls.begin() + values, b.nulls.end());
    } else {
        cut = lineStarts(b.data).at(first.rows);
    }
    first.data = b.data.substr(0, cut);
    second.data = b.data.substr(cut);
    // Progress counts source bytes; the halves share them in proportion.
    first.bytes = b.data.empty() ? 0 : b.bytes * cut / b.data.size();
    second.bytes = b.bytes - first.bytes;
    return out;
}

std::string rowKeyText(const TableWork& t,
                       const std::function<std::optional<std::string>(std::size_t written)>& value) {
    std::string out;
    for (std::size_t k : t.info.key) {
        const auto at = std::find(t.written.begin(), t.written.end(), k);
        const Column& c = t.info.columns[k];
        out += (out.empty() ? "(" : ", ") + db::quoteIdent(c.name) + "=";
        if (at == t.written.end()) {
            out += "(generated)";
            continue;
        }
        const auto v = value(static_cast<std::size_t>(at - t.written.begin()));
        if (!v) out += "NULL";
        else if (c.kind == ValueKind::Number || c.kind == ValueKind::Bit) out += v->substr(0, 64);
        else out += shown(*v);
    }
    return out.empty() ? "(the table has no key)" : out + ")";
}

std::string entryTooLargeMessage(const std::string& endpoint, const TableWork& t, const std::string& key,
                                 std::size_t bytes, const std::string& cause) {
    return endpoint + ": " + t.info.qualified() + ": the row " + key + " is " + std::to_string(bytes) +
        " bytes, above the target's limit for one row (" + cause +
        "); raise TiDB's txn-entry-size-limit (tidb_txn_entry_size_limit on 7.6+), then "
        "spec.target.limits.entrySize to match";
}

}  // namespace tidemark::copy
