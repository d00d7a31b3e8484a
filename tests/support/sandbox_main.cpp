// tidemark-sandbox: throwaway MariaDB servers for demos and benchmark scripts.
//
//   tidemark-sandbox --state-dir DIR [--tls] [--source-arg=--opt ...] [--target-arg=--opt ...]
//
// Starts a source (binlog ROW/FULL) and a target on free loopback ports, writes
// DIR/source.port and DIR/target.port (root@127.0.0.1, no password), prints "ready", and keeps
// them up until SIGTERM or SIGINT; then stops both and removes their directories.
#include "tests/support/db_server.h"

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
    using tidemark::testing::DbServer;
    using tidemark::testing::ServerOptions;
    std::string stateDir;
    auto source = ServerOptions::source();
    auto target = ServerOptions::target();
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--state-dir" && i + 1 < argc) stateDir = argv[++i];
        else if (a == "--tls") source.tls = target.tls = true;
        else if (a.rfind("--source-arg=", 0) == 0) source.extraArgs.push_back(a.substr(13));
        else if (a.rfind("--target-arg=", 0) == 0) target.extraArgs.push_back(a.substr(13));
        else {
            std::cerr << "usage: tidemark-sandbox --state-dir DIR [--tls] [--source-arg=OPT] [--target-arg=OPT]\n";
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
        std::signal(SIGTERM, onSignal);
        std::signal(SIGINT, onSignal);
        std::signal(SIGHUP, onSignal);
        std::ofstream(stateDir + "/source.port") << src->port() << "\n";
        std::ofstream(stateDir + "/target.port") << tgt->port() << "\n";
        if (source.tls) {
            const auto& t = tidemark::testing::testTls();
            std::ofstream(stateDir + "/tls.dir") << t.caCert.parent_path().string() << "\n";
        }
        std::cout << "ready source=127.0.0.1:" << src->port() << " target=127.0.0.1:" << tgt->port() << std::endl;
        while (!g_stop) pause();
        std::cout << "stopping" << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "tidemark-sandbox: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
