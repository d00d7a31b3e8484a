#include "dev_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "kube/errors.h"

namespace tidemark::kube::testing {
namespace {

int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// True when GET /version answers 200 on the port (with tls, when the port accepts connections:
// the server listens before it writes the kubeconfig, which the caller waits for too).
bool versionAnswers(int port, bool tls) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ok = false;
    } else if (tls) {
        ok = true;
    } else {
        const std::string req = "GET /version HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
            char buf[64] = {};
            ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
            ok = n > 12 && std::string(buf, static_cast<size_t>(n)).find(" 200") != std::string::npos;
        }
    }
    ::close(fd);
    return ok;
}

std::string sourceDir() { return TIDEMARK_SOURCE_DIR; }

}  // namespace

std::optional<DevCluster> DevCluster::start(const std::vector<std::string>& extraArgs) {
    const std::string script = sourceDir() + "/hack/devcluster";
    if (!std::filesystem::exists(script)) {
        std::printf("%s is missing: the dev-cluster tests cannot run\n", script.c_str());
        return std::nullopt;
    }
    DevCluster c;
    c.port_ = freePort();
    c.dir_ = (std::filesystem::temp_directory_path() /
              ("tidemark-kube-test-" + std::to_string(::getpid()) + "-" + std::to_string(c.port_)))
                 .string();
    std::filesystem::create_directories(c.dir_);
    c.kubeconfig_ = c.dir_ + "/kubeconfig";
    const std::string logPath = c.dir_ + "/devcluster.log";

    std::vector<std::string> args = {"python3",      script,       "--port", std::to_string(c.port_),
                                     "--kubeconfig", c.kubeconfig_};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    const bool tls = std::find(extraArgs.begin(), extraArgs.end(), "--tls") != extraArgs.end();

    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::setpgid(0, 0);                     // its own process group, so stop() also ends anything it spawns
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // and it goes when the test process is killed
        int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    c.pid_ = pid;

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (true) {
        int status = 0;
        if (::waitpid(c.pid_, &status, WNOHANG) == c.pid_) {
            c.pid_ = -1;
            throw std::runtime_error("hack/devcluster exited during start-up:\n" + c.log());
        }
        if (versionAnswers(c.port_, tls) && std::filesystem::exists(c.kubeconfig_)) break;
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("hack/devcluster did not answer /version within 30 s:\n" + c.log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    Client client(c.config());
    try {
        client.create(resources::kNamespaces,
                      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNamespace}}}});
    } catch (const ApiError& e) {
        if (!e.isAlreadyExists()) throw;
    }
    return std::optional<DevCluster>(std::move(c));
}

DevCluster::DevCluster(DevCluster&& other) noexcept
    : pid_(other.pid_), port_(other.port_), dir_(std::move(other.dir_)), kubeconfig_(std::move(other.kubeconfig_)) {
    other.pid_ = -1;
    other.dir_.clear();
}

DevCluster::~DevCluster() { stop(); }

void DevCluster::stop() {
    if (pid_ > 0) {
        ::kill(-pid_, SIGTERM);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(-pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        pid_ = -1;
    }
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        dir_.clear();
    }
}

Config DevCluster::config() const {
    Config cfg = loadKubeconfig(kubeconfig_);
    cfg.namespace_ = kNamespace;
    return cfg;
}

std::string DevCluster::log() const {
    std::ifstream in(dir_ + "/devcluster.log");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace tidemark::kube::testing
