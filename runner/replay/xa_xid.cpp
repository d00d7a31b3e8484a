#include "runner/replay/xa_xid.h"

#include <cctype>
#include <optional>
#include <vector>

#include "runner/db/hex.h"

namespace tidemark::replay {

namespace {

struct Reader {
    std::string_view s;
    size_t i = 0;
    void space() {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    bool word(std::string_view w) {
        space();
        if (s.size() - i < w.size()) return false;
        for (size_t k = 0; k < w.size(); ++k)
            if (std::toupper(static_cast<unsigned char>(s[i + k])) != w[k]) return false;
        const size_t end = i + w.size();
        if (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_')) return false;
        i = end;
        return true;
    }
    // One xid component: bytes (gtrid/bqual) or a number (formatID, `number` set).
    std::optional<std::string> component(bool& number) {
        space();
        number = false;
        if (i >= s.size()) return std::nullopt;
        if ((s[i] == 'X' || s[i] == 'x') && i + 1 < s.size() && s[i + 1] == '\'') {
            const size_t close = s.find('\'', i + 2);
            if (close == std::string_view::npos) return std::nullopt;
            auto v = db::fromHex(s.substr(i + 2, close - i - 2));
            i = close + 1;
            return v;
        }
        if (s[i] == '0' && i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
            size_t j = i + 2;
            while (j < s.size() && db::hexDigitValue(s[j]) >= 0) ++j;
            auto v = db::fromHex(s.substr(i + 2, j - i - 2));
            i = j;
            return v;
        }
        if (s[i] == '\'' || s[i] == '"') {
            const char q = s[i++];
            std::string v;
            while (i < s.size()) {
                if (s[i] == q && i + 1 < s.size() && s[i + 1] == q) {
                    v += q;
                    i += 2;
                } else if (s[i] == q) {
                    ++i;
                    return v;
                } else if (s[i] == '\\' && i + 1 < s.size()) {
                    v += s[i + 1];
                    i += 2;
                } else {
                    v += s[i++];
                }
            }
            return std::nullopt;
        }
        if (std::isdigit(static_cast<unsigned char>(s[i]))) {
            size_t j = i;
            while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
            std::string v(s.substr(i, j - i));
            i = j;
            number = true;
            return v;
        }
        return std::nullopt;
    }
};

}  // namespace

std::string formatXid(uint32_t formatId, std::string_view gtrid, std::string_view bqual) {
    return "X'" + db::toHex(gtrid) + "',X'" + db::toHex(bqual) + "'," + std::to_string(formatId);
}

XaStatement parseXaStatement(std::string_view statement) {
    XaStatement out;
    Reader r{statement};
    if (!r.word("XA")) return out;
    using K = XaStatement::Kind;
    if (r.word("START") || r.word("BEGIN")) out.kind = K::Start;
    else if (r.word("END")) out.kind = K::End;
    else if (r.word("PREPARE")) out.kind = K::Prepare;
    else if (r.word("COMMIT")) out.kind = K::Commit;
    else if (r.word("ROLLBACK")) out.kind = K::Rollback;
    else if (r.word("RECOVER")) out.kind = K::Recover;
    else return out;
    if (out.kind == K::Recover) return out;
    uint32_t formatId = 1;
    bool number = false;
    auto gtrid = r.component(number);
    if (!gtrid || number) return out;
    std::string bqual;
    r.space();
    if (r.i < statement.size() && statement[r.i] == ',') {
        ++r.i;
        auto b = r.component(number);
        if (!b || number) return out;
        bqual = *b;
        r.space();
        if (r.i < statement.size() && statement[r.i] == ',') {
            ++r.i;
            auto f = r.component(number);
            if (!f || !number) return out;
            formatId = static_cast<uint32_t>(std::stoul(*f));
        }
    }
    out.xid = formatXid(formatId, *gtrid, bqual);
    if (out.kind == K::Commit && r.word("ONE")) out.onePhase = r.word("PHASE");
    return out;
}

}  // namespace tidemark::replay
