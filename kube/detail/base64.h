#pragma once
#include <string>

namespace tidemark::kube::detail {
// Standard base64 (RFC 4648) decoding; whitespace is ignored. Throws ConfigError on bad input.
std::string base64Decode(const std::string& text);
}  // namespace tidemark::kube::detail
