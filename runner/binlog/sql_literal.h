// Renders decoded values as MySQL/TiDB SQL literals that reproduce the source value exactly.
//
// Requirements on the applier's session (the literals rely on them):
//   * time_zone = '+00:00'. TIMESTAMP values are rendered as their UTC wall-clock text
//     ('2024-01-02 03:04:05.123456'), which the server converts back to the same epoch
//     second only in a UTC session. (Value::i still holds the epoch seconds for appliers that
//     prefer FROM_UNIXTIME.)
//   * sql_mode without NO_ZERO_DATE / NO_ZERO_IN_DATE (zero dates are rendered as-is) and
//     without NO_BACKSLASH_ESCAPES: strings are quoted bytes with backslash escapes (half the
//     size of hex, and cheaper for both sides). ANSI_QUOTES does not matter.
//   * a client character set in which no multibyte character contains the byte \ or '
//     (utf8mb4, latin1 or binary, as every tidemark connection; never gbk, sjis, big5).
//
//   Null            NULL
//   Int/UInt/Year   decimal digits (-5, 18446744073709551615, 2024)
//   Double          shortest text that parses back to the same IEEE value (1.5, 1e+300);
//                   -0.0 as -0e0 (keeps its sign)
//   Float           the float widened to double, as Double (0.1f: 0.10000000149011612): equal
//                   to a FLOAT column's value under `=` (compared as DOUBLE) on every server
//   Decimal         exact digits, unquoted (-12.50)
//   Date            '2024-01-02'            Time  '-838:59:59.000000' (fsp digits)
//   DateTime        '2024-01-02 03:04:05.123456' (fsp digits); zero: '0000-00-00 00:00:00'
//   Timestamp       as DateTime, in UTC (see above)
//   String          _utf8mb4'\xE2\x82\xAC' (the bytes as they are, only \0 \n \r \Z \\ \'
//                   escaped) with the column's charset introducer, or _binary'..' when the
//                   charset is unknown (the server then takes the bytes as is). utf8mb3 is
//                   written _utf8 (TiDB's name). A charset the target lacks makes the statement
//                   fail rather than silently transcode.
//   Bytes/Geometry  _binary'..'
//   Vector          _binary'..' (the float32 bytes, which a VECTOR column takes as they are)
//   Enum            1-based index (0 = the '' error value); Set: bitmask; Bit: unsigned integer
//   Json            CAST(_utf8mb4'..' AS JSON)
//   JsonDiff        not a literal: use jsonDiffExpression()
//   Missing         throws std::invalid_argument (the column is not in this image)
#pragma once

#include <string>
#include <string_view>

#include "runner/binlog/value.h"

namespace tidemark::binlog {

// Appends the literal for `v` to `out`. Throws std::invalid_argument for Missing/JsonDiff.
void appendSqlLiteral(std::string& out, const Value& v);
std::string sqlLiteral(const Value& v);

// Appends `bytes` as a quoted string, escaped for a session without NO_BACKSLASH_ESCAPES.
void appendQuotedBytes(std::string& out, std::string_view bytes);

// The expression that applies a partial JSON update to `columnExpr` (an already quoted column
// reference): nested JSON_REPLACE / JSON_INSERT / JSON_REMOVE calls in diff order.
std::string jsonDiffExpression(std::string_view columnExpr, const Value& v);

// Canonical text of a temporal value, without quotes ("2024-01-02 03:04:05.5").
std::string temporalText(const Value& v);

}  // namespace tidemark::binlog
