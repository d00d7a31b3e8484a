// tidemark-sandbox: throwaway MariaDB/MySQL servers for demos, benchmark and chaos scripts.
//
//   tidemark-sandbox --state-dir DIR [--tls] [--control] [--source-arg=--opt ...] [--target-arg=--opt ...]
//
// Starts a source (binlog ROW/FULL) and a target on free loopback ports, writes
// DIR/source.port, DIR/target.port and DIR/source.dir, DIR/target.dir (each server's directory:
// error.log is there), prints "ready", and keeps them up until SIGTERM or SIGINT (or, with
// --control, the end of stdin); then stops both and removes their directories.
//
// --control reads one command a line from stdin and answers each with one line on stdout,
// "ok SERVER pid=N" or "error MESSAGE", once the command is done (a started server accepts
// connections by then). SERVER is source or target:
//   crash SERVER     SIGKILL, then start again on the same port and data directory
//   restart SERVER   clean shutdown, then start again (a source's binlog rotates)
//   kill SERVER      SIGKILL only          stop SERVER   clean shutdown only
//   start SERVER     start a stopped or killed server again
//   pid SERVER       its process id (0 when it is not running)
#include "tests/support/db_server.h"

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

// Without SA_RESTART, so a blocked read() of the control stream returns on SIGTERM.
void catchStopSignals() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
}

// The server's pid as the kernel knows it (DbServer keeps its own child's pid private).
long serverPid(const tidemark::testing::DbServer& s) {
    if (!s.running()) return 0;
    std::ifstream in(s.dir() / "server.pid");
    long pid = 0;
    in >> pid;
    return pid;
}

std::string runCommand(const std::string& line, tidemark::testing::DbServer& src, tidemark::testing::DbServer& tgt) {
    std::istringstream words(line);
    std::string verb, which;
    words >> verb >> which;
    if (which != "source" && which != "target")
        return "error expected 'VERB source' or 'VERB target', got '" + line + "'";
    auto& s = which == "source" ? src : tgt;
    try {
        if (verb == "crash") {
            s.kill();
            s.start();
        } else if (verb == "restart") {
            s.restart();
        } else if (verb == "kill") {
            s.kill();
        } else if (verb == "stop") {
            s.stop();
        } else if (verb == "start") {
            s.start();
        } else if (verb != "pid") {
            return "error unknown command '" + verb + "' (crash, restart, kill, stop, start, pid)";
        }
    } catch (const std::exception& e) {
        std::string m = e.what();
        for (auto& c : m)
            if (c == '\n') c = ' ';
        return "error " + which + ": " + m;
    }
    return "ok " + which + " pid=" + std::to_string(serverPid(s));
}

// Serves --control until stdin ends or a stop signal arrives.
void serveControl(tidemark::testing::DbServer& src, tidemark::testing::DbServer& tgt) {
    std::string pending;
    char buf[512];
    while (!g_stop) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0) return;
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        pending.append(buf, static_cast<size_t>(n));
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
            const std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            std::cout << runCommand(line, src, tgt) << std::endl;
        }
    }
}
}  // namespace

int main(int argc, char** argv) {
    using tidemark::testing::DbServer;
    using tidemark::testing::ServerOptions;
    std::string stateDir;
    bool control = false;
    auto source = ServerOptions::source();
    auto target = ServerOptions::target();
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--state-dir" && i + 1 < argc) stateDir = argv[++i];
        else if (a == "--tls") source.tls = target.tls = true;
        else if (a == "--control") control = true;
        else if (a.rfind("--source-arg=", 0) == 0) source.extraArgs.push_back(a.substr(13));
        else if (a.rfind("--target-arg=", 0) == 0) target.extraArgs.push_back(a.substr(13));
        else {
            std::cerr << "usage: tidemark-sandbox --state-dir DIR [--tls] [--control] [--source-arg=OPT] "
                         "[--target-arg=OPT]\n";
            return 2;
        }
    }
    if (stateDir.empty()) {
        std::cerr << "tidemark-sandbox: --state-dir is required\n";
        return 2;
    }
    // Our own handler replaces the support library's, so stop cleanly through destructors.
    try {
        auto src = std::make_unique<DbServer>(source);
        auto tgt = std::make_unique<DbServer>(target);
        catchStopSignals();
        std::ofstream(stateDir + "/source.port") << src->port() << "\n";
        std::ofstream(stateDir + "/target.port") << tgt->port() << "\n";
        std::ofstream(stateDir + "/source.dir") << src->dir().string() << "\n";
        std::ofstream(stateDir + "/target.dir") << tgt->dir().string() << "\n";
        if (source.tls) {
            const auto& t = tidemark::testing::testTls();
            std::ofstream(stateDir + "/tls.dir") << t.caCert.parent_path().string() << "\n";
        }
        std::cout << "ready source=127.0.0.1:" << src->port() << " target=127.0.0.1:" << tgt->port() << std::endl;
        if (control) serveControl(*src, *tgt);
        else
            while (!g_stop) pause();
        std::cout << "stopping" << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "tidemark-sandbox: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
