#include "runner/binlog/sql_literal.h"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "runner/binlog/charsets.h"
#include "runner/binlog/temporal.h"

namespace tidemark::binlog {

namespace {

// `bytes` as `_charset'...'`; utf8mb3 is written _utf8 (TiDB's name).
void appendIntroduced(std::string& out, std::string_view charset, std::string_view bytes) {
    out += '_';
    out += charset == "utf8mb3" ? std::string_view("utf8") : charset;
    appendQuotedBytes(out, bytes);
}

// Only for text we generated ourselves (digits, '-', ':', ' ', '.'), never source data.
void appendQuotedAscii(std::string& out, std::string_view text) {
    out += '\'';
    out += text;
    out += '\'';
}

// The shortest decimal text that the server (MySQL, MariaDB, TiDB: correctly rounded strtod)
// reads back as exactly `v`. A negative zero is written as a DOUBLE literal ("-0e0"): "-0" would
// be the integer 0 and lose the sign.
void appendDouble(std::string& out, double v) {
    if (v == 0 && std::signbit(v)) {
        out += "-0e0";
        return;
    }
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

}  // namespace

std::string temporalText(const Value& v) {
    switch (v.kind) {
        case Value::Kind::Date: return formatDate(v.t);
        case Value::Kind::Time: return formatTime(v.t, v.width);
        case Value::Kind::DateTime: return formatDateTime(v.t, v.width);
        case Value::Kind::Timestamp: {
            if (v.i == 0) return formatDateTime(Temporal{}, v.width);
            Temporal t = civilFromEpoch(v.i);
            t.micro = v.t.micro;
            return formatDateTime(t, v.width);
        }
        default: throw std::invalid_argument(std::string("not a temporal value: ") + kindName(v.kind));
    }
}

void appendSqlLiteral(std::string& out, const Value& v) {
    switch (v.kind) {
        case Value::Kind::Null: out += "NULL"; return;
        case Value::Kind::Int: out += std::to_string(v.i); return;
        case Value::Kind::UInt:
        case Value::Kind::Year:
        case Value::Kind::Enum:
        case Value::Kind::Set:
        case Value::Kind::Bit: out += std::to_string(v.u); return;
        // A FLOAT column compared with a literal is compared as DOUBLE (its value widened), so
        // the float is written widened: the literal then equals the column's value exactly, and
        // stored into a FLOAT column it rounds back to the same float.
        case Value::Kind::Float: appendDouble(out, static_cast<double>(v.f)); return;
        case Value::Kind::Double: appendDouble(out, v.d); return;
        case Value::Kind::Decimal: out += v.text; return;
        case Value::Kind::Date:
        case Value::Kind::Time:
        case Value::Kind::DateTime:
        case Value::Kind::Timestamp: appendQuotedAscii(out, temporalText(v)); return;
        case Value::Kind::String: {
            std::string_view cs = charsetOfCollation(v.collation);
            appendIntroduced(out, cs.empty() ? "binary" : cs, v.data());
            return;
        }
        case Value::Kind::Bytes:
        case Value::Kind::Geometry:
        case Value::Kind::Vector: appendIntroduced(out, "binary", v.data()); return;
        case Value::Kind::Json:
            out += "CAST(";
            appendIntroduced(out, "utf8mb4", v.text);
            out += " AS JSON)";
            return;
        case Value::Kind::JsonDiff:
            throw std::invalid_argument("a partial JSON update is not a literal; use jsonDiffExpression()");
        case Value::Kind::Missing: throw std::invalid_argument("the column is not present in this row image");
    }
}

void appendQuotedBytes(std::string& out, std::string_view bytes) {
    static const auto escaped = [] {
        std::array<char, 256> a{};
        a[0] = '0';
        a['\''] = '\'';
        a['\\'] = '\\';
        a['\n'] = 'n';
        a['\r'] = 'r';
        a[0x1a] = 'Z';
        return a;
    }();
    out.reserve(out.size() + bytes.size() + 8);
    out += '\'';
    std::size_t start = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const char e = escaped[static_cast<unsigned char>(bytes[i])];
        if (e == 0) continue;
        out.append(bytes.data() + start, i - start);
        out += '\\';
        out += e;
        start = i + 1;
    }
    out.append(bytes.data() + start, bytes.size() - start);
    out += '\'';
}

std::string sqlLiteral(const Value& v) {
    std::string s;
    appendSqlLiteral(s, v);
    return s;
}

std::string jsonDiffExpression(std::string_view columnExpr, const Value& v) {
    if (v.kind != Value::Kind::JsonDiff) throw std::invalid_argument("not a partial JSON update");
    std::string expr(columnExpr);
    for (const JsonDiff& d : v.diffs) {
        std::string path;
        appendIntroduced(path, "utf8mb4", d.path);
        switch (d.op) {
            case JsonDiff::Op::Replace:
            case JsonDiff::Op::Insert: {
                std::string value = "CAST(";
                appendIntroduced(value, "utf8mb4", d.value);
                value += " AS JSON)";
                expr = std::string(d.op == JsonDiff::Op::Replace ? "JSON_REPLACE(" : "JSON_INSERT(") + expr + ", " +
                    path + ", " + value + ")";
                break;
            }
            case JsonDiff::Op::Remove: expr = "JSON_REMOVE(" + expr + ", " + path + ")"; break;
        }
    }
    return expr;
}

}  // namespace tidemark::binlog
