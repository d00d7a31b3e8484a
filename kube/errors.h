#pragma once
// Errors raised by the Kubernetes client. Every message names the request (method and path) so
// a user can act on it; none ever contains a credential.

#include <stdexcept>
#include <string>
#include <vector>

namespace tidemark::kube {

// One entry of a Status's details.causes (422 Invalid names the offending field paths here).
struct StatusCause {
    std::string reason;  // e.g. "FieldValueInvalid"
    std::string message;
    std::string field;  // e.g. "spec.mode"
};

// The API server answered with a non-2xx code (or a watch ERROR event). code() is the HTTP code,
// reason()/message() come from the Status object the server returned (reason() is empty when the
// body was not a Status).
class ApiError : public std::runtime_error {
public:
    ApiError(int code, std::string reason, std::string message, std::vector<StatusCause> causes,
             const std::string& request);

    int code() const noexcept { return code_; }
    const std::string& reason() const noexcept { return reason_; }
    const std::string& message() const noexcept { return message_; }
    const std::vector<StatusCause>& causes() const noexcept { return causes_; }
    // "METHOD /path" of the failed request ("" for errors built from watch events).
    const std::string& request() const noexcept { return request_; }

    bool isNotFound() const noexcept { return code_ == 404; }
    bool isAlreadyExists() const noexcept { return code_ == 409 && reason_ == "AlreadyExists"; }
    bool isConflict() const noexcept { return code_ == 409 && reason_ != "AlreadyExists"; }
    bool isGone() const noexcept { return code_ == 410; }

private:
    int code_;
    std::string reason_;
    std::string message_;
    std::vector<StatusCause> causes_;
    std::string request_;
};

// 409 on an update/patch with a stale resourceVersion (optimistic concurrency lost). Thrown
// instead of a plain ApiError for every 409 whose reason is not AlreadyExists.
class Conflict : public ApiError {
public:
    using ApiError::ApiError;
};

// The request never got an HTTP answer: connection refused, TLS failure, client timeout.
class TransportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A kubeconfig or in-cluster configuration that cannot be used.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Builds the right exception (Conflict for 409 non-AlreadyExists, else ApiError) from a response
// body that may or may not be a Status object, and throws it.
[[noreturn]] void throwApiError(int httpCode, const std::string& body, const std::string& request);

}  // namespace tidemark::kube
