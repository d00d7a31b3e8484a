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
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    // No host (":9090", "*"): every address, IPv6 and IPv4 on one dual-stack socket where the
    // node has IPv6 (IPv6-only and dual-stack clusters), else IPv4.
    const bool any = host.empty() || host == "*";
    sockaddr_storage ss{};
    socklen_t ssLen = 0;
    auto bindTo = [&](int family) -> bool {
        ss = {};
        if (family == AF_INET6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(static_cast<uint16_t>(port));
            if (any) a->sin6_addr = in6addr_any;
            else if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return false;
            ssLen = sizeof(sockaddr_in6);
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_port = htons(static_cast<uint16_t>(port));
            if (any) a->sin_addr.s_addr = htonl(INADDR_ANY);
            else if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) return false;
            ssLen = sizeof(sockaddr_in);
        }
        return true;
    };
    int family = AF_INET;
    if (any) family = AF_INET6;
    else if (!bindTo(AF_INET)) family = AF_INET6;
    if (!bindTo(family))
        throw std::runtime_error("--metrics-addr " + impl_->addr + ": host must be an IPv4 or IPv6 address");
    auto listenOn = [&](int fam) -> int {
        int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        int one = 1, zero = 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fam == AF_INET6 && any) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, reinterpret_cast<sockaddr*>(&ss), ssLen) != 0 || listen(fd, 16) != 0) {
            const int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        return fd;
    };
    impl_->fd = listenOn(family);
    if (impl_->fd < 0 && any && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
        bindTo(AF_INET);  // a node without IPv6
        impl_->fd = listenOn(AF_INET);
    }
    if (impl_->fd < 0) throw std::runtime_error("cannot listen on " + impl_->addr + ": " + std::strerror(errno));
    socklen_t len = sizeof ss;
    getsockname(impl_->fd, reinterpret_cast<sockaddr*>(&ss), &len);
    impl_->port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
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
