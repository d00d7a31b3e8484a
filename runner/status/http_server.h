// A tiny HTTP/1.1 server for /healthz, /readyz and /metrics: one thread, one request per
// connection, GET only. Enough for kubelet probes and Prometheus scrapes; nothing else.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace tidemark::status {

struct HttpResponse {
    int status = 200;
    std::string contentType = "text/plain; charset=utf-8";
    std::string body;
};

class HttpServer {
public:
    using Handler = std::function<HttpResponse()>;
    // addr: "HOST:PORT" or ":PORT" (all interfaces); PORT 0 picks a free port.
    HttpServer(const std::string& addr, std::map<std::string, Handler> routes);
    ~HttpServer();  // stops
    void start();   // binds (throws std::runtime_error naming the address) and serves on a thread
    void stop();
    int port() const;  // the bound port

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tidemark::status
