#include "runner/binlog/query_event.h"

#include <cctype>
#include <string>

#include "runner/binlog/compression.h"

namespace tidemark::binlog {

namespace {

std::string toUpperPrefix(std::string_view s, size_t n) {
    std::string out;
    for (char c : s.substr(0, n)) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// Skips whitespace and comments the server may put before a statement's first keyword
// (MySQL keeps /* ... */ and executable /*!...*/ comments in the binlog).
std::string_view firstWords(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        if (std::isspace(static_cast<unsigned char>(s[i]))) {
            ++i;
            continue;
        }
        if (s.compare(i, 3, "/*!") == 0) {
            // Executable comment: its body is the statement; skip the version digits.
            i += 3;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
            continue;
        }
        if (s.compare(i, 2, "/*") == 0) {
            size_t end = s.find("*/", i + 2);
            i = end == std::string_view::npos ? s.size() : end + 2;
            continue;
        }
        if (s.compare(i, 2, "--") == 0 || s[i] == '#') {
            size_t end = s.find('\n', i);
            i = end == std::string_view::npos ? s.size() : end + 1;
            continue;
        }
        break;
    }
    return s.substr(i);
}

bool startsWithWord(std::string_view upper, std::string_view word) {
    if (upper.substr(0, word.size()) != word) return false;
    return upper.size() == word.size() || !std::isalnum(static_cast<unsigned char>(upper[word.size()]));
}

// Status variables are (key, value) pairs whose value length depends on the key; an unknown
// key makes the rest of the block unreadable, so decoding stops there (as the server does).
void readStatusVars(ByteReader r, Query& q) {
    while (!r.empty()) {
        uint8_t key = r.u8();
        switch (key) {
            case 0: q.flags2 = r.u32(); break;
            case 1: q.sqlMode = r.u64(); break;
            case 2: r.skip(r.u8() + 1u); break;
            case 3: r.skip(4); break;
            case 4:
                q.charsetClient = r.u16();
                q.collationConnection = r.u16();
                q.collationServer = r.u16();
                break;
            case 5: q.timeZone = r.bytes(r.u8()); break;
            case 6: r.skip(r.u8()); break;
            case 7: r.skip(2); break;
            case 8: r.skip(2); break;
            case 9: r.skip(8); break;
            case 10: r.skip(4); break;
            case 11:
                r.skip(r.u8());
                r.skip(r.u8());
                break;
            case 12: {
                uint8_t count = r.u8();
                if (count == 254) break;  // OVER_MAX_DBS_IN_EVENT_MTS
                for (uint8_t i = 0; i < count; ++i) {
                    while (r.u8() != 0) {}
                }
                break;
            }
            case 13: r.skip(3); break;
            case 16: r.skip(1); break;
            case 17: r.skip(8); break;
            case 18: r.skip(2); break;
            case 19: r.skip(1); break;
            case 20: r.skip(1); break;
            case 128: r.skip(3); break;
            case 129: q.mariaXid = r.u64(); break;
            default: return;  // unknown key: its length is unknown, so the rest is unreadable (as the server does)
        }
    }
}

}  // namespace

QueryKind classifyQuery(std::string_view statement) {
    std::string head = toUpperPrefix(firstWords(statement), 16);
    if (startsWithWord(head, "BEGIN")) return QueryKind::Begin;
    if (startsWithWord(head, "COMMIT")) return QueryKind::Commit;
    if (startsWithWord(head, "ROLLBACK")) {
        return head.find(" TO") != std::string::npos ? QueryKind::Savepoint : QueryKind::Rollback;
    }
    if (startsWithWord(head, "SAVEPOINT") || startsWithWord(head, "RELEASE")) return QueryKind::Savepoint;
    if (startsWithWord(head, "XA")) return QueryKind::Xa;
    return QueryKind::Other;
}

const char* statementDmlKeyword(std::string_view statement) {
    std::string head = toUpperPrefix(firstWords(statement), 16);
    for (const char* kw : {"INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD"})
        if (startsWithWord(head, kw)) return kw;
    return nullptr;
}

Query parseQuery(ByteReader& r, uint8_t postHeaderLength, bool compressed) {
    Query q;
    q.threadId = r.u32();
    q.execTime = r.u32();
    uint8_t dbLen = r.u8();
    q.errorCode = r.u16();
    uint16_t statusLen = postHeaderLength >= 13 ? r.u16() : 0;
    if (postHeaderLength > 13) r.skip(postHeaderLength - 13u);
    readStatusVars(ByteReader(r.span(statusLen)), q);
    q.schema = r.bytes(dbLen);
    r.skip(1);
    q.statement = compressed ? inflateMariaEvent(r.rest()) : std::string(r.rest());
    q.kind = classifyQuery(q.statement);
    return q;
}

}  // namespace tidemark::binlog
