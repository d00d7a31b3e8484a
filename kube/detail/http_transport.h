#pragma once
// The only place that knows about cpprestsdk: plain requests and streamed (watch) requests.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "kube/config.h"

namespace tidemark::kube::detail {

struct HttpResponse {
    int status = 0;
    std::string body;
};

class HttpTransport {
public:
    explicit HttpTransport(const Config& config);
    ~HttpTransport();

    // One request with Config::requestTimeout. body may be null (no body). Throws TransportError.
    HttpResponse request(const std::string& method, const std::string& pathAndQuery, const std::string* body,
                         const std::string& contentType) const;

    // A GET whose 2xx body is passed to onData piece by piece as it arrives (the returned body is
    // then empty); a non-2xx body is returned whole. `inactivityTimeout` replaces requestTimeout.
    // nullopt when `stop` was triggered. Throws TransportError.
    std::optional<HttpResponse> stream(const std::string& pathAndQuery, std::chrono::seconds inactivityTimeout,
                                       const std::function<void(std::string_view)>& onData, std::stop_token stop) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::kube::detail
