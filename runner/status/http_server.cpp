#include "runner/status/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace tidemark::status {

struct HttpServer::Impl {
    std::string addr;
    std::map<std::string, Handler> routes;
    int fd = -1;
    int port = 0;
    std::atomic<bool> stopping{false};
    std::thread thread;

    void serve() {
        while (!stopping) {
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 200) <= 0) continue;
            int c = accept(fd, nullptr, nullptr);
            if (c < 0) continue;
            timeval tv{2, 0};
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            std::string req;
            char buf[2048];
            while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
                ssize_t n = recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                req.append(buf, static_cast<size_t>(n));
            }
            HttpResponse r;
            const auto sp1 = req.find(' ');
            const auto sp2 = sp1 == std::string::npos ? std::string::npos : req.find(' ', sp1 + 1);
            if (sp2 == std::string::npos) {
                r = {400, "text/plain; charset=utf-8", "bad request\n"};
            } else {
                const std::string method = req.substr(0, sp1);
                std::string path = req.substr(sp1 + 1, sp2 - sp1 - 1);
                if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
                auto it = routes.find(path);
                if (method != "GET" && method != "HEAD") r = {405, "text/plain; charset=utf-8", "method not allowed\n"};
                else if (it == routes.end()) r = {404, "text/plain; charset=utf-8", "not found\n"};
                else {
                    try {
                        r = it->second();
                    } catch (const std::exception& e) {
                        r = {500, "text/plain; charset=utf-8", std::string(e.what()) + "\n"};
                    }
                }
                if (method == "HEAD") r.body.clear();
            }
            const char* text = r.status == 200 ? "OK"
                : r.status == 404              ? "Not Found"
                : r.status == 503              ? "Service Unavailable"
                                               : "Error";
            std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + text +
                "\r\nContent-Type: " + r.contentType + "\r\nContent-Length: " + std::to_string(r.body.size()) +
                "\r\nConnection: close\r\n\r\n" + r.body;
            size_t sent = 0;
            while (sent < out.size()) {
                ssize_t n = send(c, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<size_t>(n);
            }
            close(c);
        }
    }
};

HttpServer::HttpServer(const std::string& addr, std::map<std::string, Handler> routes)
    : impl_(std::make_unique<Impl>()) {
    impl_->addr = addr;
    impl_->routes = std::move(routes);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    const auto colon = impl_->addr.rfind(':');
    std::string host = colon == std::string::npos ? "" : impl_->addr.substr(0, colon);
    const std::string portText = colon == std::string::npos ? impl_->addr : impl_->addr.substr(colon + 1);
    int port = 0;
    try {
        port = std::stoi(portText);
    } catch (...) {
        throw std::runtime_error("--metrics-addr " + impl_->addr + ": expected HOST:PORT or :PORT");
    }
    if (host.empty() || host == "0.0.0.0" || host == "*") host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
        throw std::runtime_error("--metrics-addr " + impl_->addr + ": host must be an IPv4 address");
    impl_->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(impl_->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(impl_->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(impl_->fd, 16) != 0) {
        const std::string err = std::strerror(errno);
        close(impl_->fd);
        impl_->fd = -1;
        throw std::runtime_error("cannot listen on " + impl_->addr + ": " + err);
    }
    socklen_t len = sizeof sa;
    getsockname(impl_->fd, reinterpret_cast<sockaddr*>(&sa), &len);
    impl_->port = ntohs(sa.sin_port);
    impl_->thread = std::thread([this] { impl_->serve(); });
}

void HttpServer::stop() {
    impl_->stopping = true;
    if (impl_->thread.joinable()) impl_->thread.join();
    if (impl_->fd >= 0) close(impl_->fd);
    impl_->fd = -1;
}

int HttpServer::port() const { return impl_->port; }

}  // namespace tidemark::status
