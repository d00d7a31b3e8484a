// MySQL's binary JSON (the JSON column's storage and binlog format) → JSON text.
#pragma once

#include <string>
#include <string_view>

namespace tidemark::binlog {

// Renders a binary JSON document as MySQL would print it (`{"a": 1, "b": [true, null]}`,
// keys in stored order, doubles round-trippable, opaque values as MySQL shows them).
// An empty input is the JSON null MySQL writes for invalid inserts in non-strict mode.
// Throws DecodeError on malformed input.
std::string jsonBinaryToText(std::string_view doc);

// Appends `s` as a JSON string literal (quotes, escapes).
void appendJsonString(std::string& out, std::string_view s);

}  // namespace tidemark::binlog
