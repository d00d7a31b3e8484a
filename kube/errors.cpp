#include "kube/errors.h"

#include <nlohmann/json.hpp>

namespace tidemark::kube {
namespace {
std::string describe(int code, const std::string& reason, const std::string& message,
                     const std::vector<StatusCause>& causes, const std::string& request) {
    std::string out = request.empty() ? std::string() : request + ": ";
    out += std::to_string(code);
    if (!reason.empty()) out += " " + reason;
    if (!message.empty()) out += ": " + message;
    for (const auto& c : causes) {
        out += "; ";
        if (!c.field.empty()) out += c.field + ": ";
        out += c.message.empty() ? c.reason : c.message;
    }
    return out;
}
}  // namespace

ApiError::ApiError(int code, std::string reason, std::string message, std::vector<StatusCause> causes,
                   const std::string& request)
    : std::runtime_error(describe(code, reason, message, causes, request)),
      code_(code),
      reason_(std::move(reason)),
      message_(std::move(message)),
      causes_(std::move(causes)),
      request_(request) {}

void throwApiError(int httpCode, const std::string& body, const std::string& request) {
    std::string reason, message;
    std::vector<StatusCause> causes;
    int code = httpCode;
    auto status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (status.is_object() && status.value("kind", "") == "Status") {
        reason = status.value("reason", "");
        message = status.value("message", "");
        if (code == 0 || code == 200) code = status.value("code", code);
        if (auto d = status.find("details"); d != status.end() && d->is_object()) {
            if (auto cs = d->find("causes"); cs != d->end() && cs->is_array()) {
                for (const auto& c : *cs) {
                    if (!c.is_object()) continue;
                    causes.push_back({c.value("reason", ""), c.value("message", ""), c.value("field", "")});
                }
            }
        }
    } else {
        message = body.size() > 512 ? body.substr(0, 512) + "..." : body;
    }
    if (code == 409 && reason != "AlreadyExists") {
        throw Conflict(code, std::move(reason), std::move(message), std::move(causes), request);
    }
    throw ApiError(code, std::move(reason), std::move(message), std::move(causes), request);
}

}  // namespace tidemark::kube
