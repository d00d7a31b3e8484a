// Throwaway MariaDB and MySQL servers for tests, benchmarks and demos.
//
// Each DbServer runs mariadbd (Debian 12's MariaDB 10.11) or mysqld (Oracle MySQL from the
// Debian unstable root that hack/install-mysql.sh prepares) as the current user (root included)
// in a fresh temporary directory on a free loopback port, and is stopped and its directory
// removed when the object is destroyed. When the test process ends any other way (a signal, SIGKILL, a crash), its
// servers die with it (PR_SET_PDEATHSIG on the thread that started them) and a watchdog
// process removes their directories.
#pragma once

#include "runner/db/connection.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tidemark::testing {

enum class Flavor { MariaDB, MySQL };

// The flavors a test process runs its servers as, from TIDEMARK_TEST_SERVERS: "mariadb" or
// "mysql" for both, or "SOURCE,TARGET" such as "mysql,mariadb"; MariaDB when unset. ctest
// registers every integration suite once per pair (tests/CMakeLists.txt). An unknown value throws.
Flavor sourceFlavor();
Flavor targetFlavor();
const char* flavorName(Flavor f);  // "MariaDB" | "MySQL"

// Whether servers of `f` can start on this machine; when not, why (for a test's skip message):
// MySQL needs the root that hack/install-mysql.sh prepares, and root privileges.
bool available(Flavor f, std::string* why = nullptr);

struct ServerOptions {
    Flavor flavor = sourceFlavor();
    std::string name = "server";  // shows in the directory name and in errors
    bool binlog = true;
    std::string binlogFormat = "ROW";    // ROW | STATEMENT | MIXED
    std::string rowImage = "FULL";       // FULL | MINIMAL | NOBLOB
    std::string rowMetadata = "";        // "" (server default) | NO_LOG | MINIMAL | FULL
    std::string checksum = "CRC32";      // CRC32 | NONE
    bool tls = false;                    // serve TLS with the shared test CA's server certificate
    unsigned serverId = 0;               // 0: a unique id per server
    bool gtid = true;                    // MySQL: gtid_mode=ON (MariaDB always has GTIDs)
    int lowerCaseTableNames = 0;         // 0 | 1 | 2 (on MySQL also the data directory's, set at its init)
    std::vector<std::string> extraArgs;  // more server options, e.g. "--max-connections=20"

    static ServerOptions source() {
        ServerOptions o;
        o.name = "source";
        return o;
    }
    static ServerOptions target() {
        ServerOptions o;
        o.flavor = targetFlavor();
        o.name = "target";
        o.binlog = false;
        return o;
    }
};

// A CA, a server certificate for 127.0.0.1/localhost, and a client certificate, all signed by
// that CA; plus a second, unrelated CA for "wrong CA" tests. Made once per process.
struct TlsMaterial {
    std::filesystem::path caCert, serverCert, serverKey, clientCert, clientKey, otherCaCert;
};
const TlsMaterial& testTls();

class DbServer {
public:
    explicit DbServer(ServerOptions options = {});
    ~DbServer();
    DbServer(const DbServer&) = delete;
    DbServer& operator=(const DbServer&) = delete;

    const std::string& host() const { return host_; }
    unsigned port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_; }
    const ServerOptions& options() const { return options_; }
    Flavor flavor() const { return options_.flavor; }
    bool isMySql() const { return options_.flavor == Flavor::MySQL; }
    std::string version() const;  // SELECT VERSION()

    // Options for the all-powerful root@127.0.0.1 account (empty password), as `role`.
    db::ConnectOptions rootOptions(const std::string& role = "admin") const;
    db::Connection connectRoot() const;
    // Runs statements as root (several, separated by ';' only if given one by one).
    void exec(const std::string& sql) const;

    // Creates `user`@'%' with `password` and runs each of `grants` (e.g. "SELECT ON *.*").
    db::ConnectOptions createUser(const std::string& user, const std::string& password,
                                  const std::vector<std::string>& grants, const std::string& role) const;

    void stop();   // clean shutdown, keeps the directory
    void start();  // starts again on the same port and data
    void restart() {
        stop();
        start();
    }
    void kill();  // SIGKILL, like a crash
    bool running() const { return pid_ > 0; }
    std::string errorLog() const;

private:
    void launch();
    void waitReady();
    std::vector<std::string> serverArgs() const;

    ServerOptions options_;
    std::string host_ = "127.0.0.1";
    unsigned port_ = 0;
    std::filesystem::path dir_;
    int pid_ = -1;
};

// A directory laid out the way Kubernetes mounts Secrets: DIR/<secretName>/<key>.
class SecretsDir {
public:
    SecretsDir();
    ~SecretsDir();
    SecretsDir(const SecretsDir&) = delete;
    SecretsDir& operator=(const SecretsDir&) = delete;

    const std::filesystem::path& path() const { return dir_; }
    void put(const std::string& secret, const std::string& key, const std::string& value) const;
    void putFile(const std::string& secret, const std::string& key, const std::filesystem::path& from) const;
    void credentials(const std::string& secret, const std::string& user, const std::string& password) const {
        put(secret, "username", user);
        put(secret, "password", password);
    }

private:
    std::filesystem::path dir_;
};

// A fresh temporary directory removed on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& name = "tmp");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return dir_; }
    std::filesystem::path write(const std::string& file, const std::string& text) const;

private:
    std::filesystem::path dir_;
};

}  // namespace tidemark::testing
