#pragma once
#include <chrono>
#include <string>

namespace tidemark::kube::detail {
// RFC 3339 UTC, "2026-01-02T03:04:05Z" (metav1.Time).
std::string formatTime(std::chrono::system_clock::time_point t);
// RFC 3339 UTC with microseconds, "2026-01-02T03:04:05.123456Z" (metav1.MicroTime).
std::string formatMicroTime(std::chrono::system_clock::time_point t);
}  // namespace tidemark::kube::detail
