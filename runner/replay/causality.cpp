#include "runner/replay/causality.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "runner/binlog/sql_literal.h"

namespace tidemark::replay {

namespace {

struct Fnv {
    uint64_t h = 1469598103934665603ull;
    void add(const void* p, size_t n) {
        auto* b = static_cast<const unsigned char*>(p);
        for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    }
    void add(std::string_view s) {
        uint64_t n = s.size();
        add(&n, sizeof n);
        add(s.data(), s.size());
    }
    void addU64(uint64_t v) { add(&v, sizeof v); }
};

void addValue(Fnv& f, const binlog::Value& v) {
    using K = binlog::Value::Kind;
    switch (v.kind) {
        case K::Int:
        case K::UInt:
        case K::Year:
        case K::Enum:
        case K::Set:
        case K::Bit: f.addU64(v.u); return;
        case K::String: {
            // Unique keys compare by collation: fold ASCII case and ignore trailing spaces
            // (PAD SPACE), so 'a' and 'A ' land on one key. Over-merging is harmless.
            std::string_view s = v.data();
            while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
            if (v.collation == 63) {
                f.add(s);
                return;
            }
            std::string folded(s);
            for (auto& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            f.add(folded);
            return;
        }
        case K::Bytes:
        case K::Geometry: f.add(v.data()); return;
        default: f.add(binlog::sqlLiteral(v));
    }
}

struct UnionFind {
    std::vector<uint32_t> parent;
    explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
    uint32_t find(uint32_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    }
    void unite(uint32_t a, uint32_t b) {
        a = find(a), b = find(b);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
};

}  // namespace

Partition partitionChanges(const std::vector<RowChange>& changes, int shares) {
    Partition p;
    shares = std::max(shares, 1);
    p.shares.resize(shares);
    UnionFind uf(changes.size());
    std::unordered_map<uint64_t, uint32_t> owner;
    owner.reserve(changes.size() * 2);
    auto claim = [&](uint64_t key, uint32_t i) {
        auto [it, inserted] = owner.emplace(key, i);
        if (!inserted) uf.unite(it->second, i);
    };
    for (uint32_t i = 0; i < changes.size(); ++i) {
        const RowChange& c = changes[i];
        const TableSchema& t = *c.table;
        Fnv tableKey;
        tableKey.add(t.rowsKey.empty() ? t.qualified : t.rowsKey);
        if (t.identity.empty()) {
            claim(tableKey.h, i);  // keyless: the whole table is one key
            continue;
        }
        const binlog::Row& row = *c.row;
        auto keysOf = [&](const std::vector<binlog::Value>& image) {
            if (image.empty()) return;
            auto keyOf = [&](const std::vector<uint32_t>& cols, uint64_t salt) {
                Fnv f = tableKey;
                f.addU64(salt);
                for (uint32_t col : cols) {
                    const binlog::Value* v = col < image.size() ? &image[col] : nullptr;
                    if (!v || !v->isPresent()) v = col < row.before.size() ? &row.before[col] : nullptr;
                    if (!v || !v->isPresent() || v->isNull()) return;
                    addValue(f, *v);
                }
                claim(f.h, i);
            };
            if (!t.primaryKey.empty()) keyOf(t.primaryKey, 0);
            for (size_t k = 0; k < t.uniqueKeys.size(); ++k) keyOf(t.uniqueKeys[k], k + 1);
            if (t.primaryKey.empty() && t.uniqueKeys.empty()) keyOf(t.identity, 0);
        };
        keysOf(row.before);
        keysOf(row.after);
    }
    // Components in order of first appearance, with sizes.
    std::vector<uint32_t> compOfRoot(changes.size(), UINT32_MAX);
    std::vector<uint32_t> sizes;
    p.component.resize(changes.size());
    for (uint32_t i = 0; i < changes.size(); ++i) {
        uint32_t r = uf.find(i);
        if (compOfRoot[r] == UINT32_MAX) {
            compOfRoot[r] = static_cast<uint32_t>(sizes.size());
            sizes.push_back(0);
        }
        p.component[i] = compOfRoot[r];
        ++sizes[compOfRoot[r]];
    }
    std::vector<int> shareOf(sizes.size());
    std::vector<uint64_t> load(shares, 0);
    for (size_t comp = 0; comp < sizes.size(); ++comp) {
        int best = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
        shareOf[comp] = best;
        load[best] += sizes[comp];
    }
    for (uint32_t i = 0; i < changes.size(); ++i) p.shares[shareOf[p.component[i]]].push_back(i);
    return p;
}

}  // namespace tidemark::replay
