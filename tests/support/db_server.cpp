#include "tests/support/db_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace tidemark::testing {

namespace {

constexpr const char* kMariadbd = "/usr/sbin/mariadbd";
constexpr const char* kInstallDb = "/usr/bin/mariadb-install-db";

// Options that must match between the template's bootstrap and every server started from it.
const std::vector<std::string> kMariaDbInnodbArgs = {
    "--innodb-buffer-pool-size=128M",     "--innodb-log-file-size=64M",     "--innodb-log-buffer-size=16M",
    "--innodb-flush-log-at-trx-commit=2", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"};
// MySQL keeps its own defaults for the charset (utf8mb4, utf8mb4_0900_ai_ci), as users meet them.
const std::vector<std::string> kMySqlInnodbArgs = {"--innodb-buffer-pool-size=128M", "--innodb-redo-log-capacity=128M",
                                                   "--innodb-log-buffer-size=16M",
                                                   "--innodb-flush-log-at-trx-commit=2"};

const std::vector<std::string>& innodbArgs(Flavor f) {
    return f == Flavor::MySQL ? kMySqlInnodbArgs : kMariaDbInnodbArgs;
}

Flavor parseFlavor(const std::string& value, const std::string& whole) {
    if (value == "mariadb") return Flavor::MariaDB;
    if (value == "mysql") return Flavor::MySQL;
    throw std::runtime_error("test support: TIDEMARK_TEST_SERVERS='" + whole +
                             "' is not SOURCE[,TARGET] of the flavors mariadb and mysql");
}

// TIDEMARK_TEST_SERVERS: "FLAVOR" for source and target, or "SOURCE,TARGET"; MariaDB when unset.
std::pair<Flavor, Flavor> flavorsFromEnv() {
    const char* v = std::getenv("TIDEMARK_TEST_SERVERS");
    const std::string value = v ? v : "";
    if (value.empty()) return {Flavor::MariaDB, Flavor::MariaDB};
    const auto comma = value.find(',');
    const auto source = parseFlavor(value.substr(0, comma), value);
    return {source, comma == std::string::npos ? source : parseFlavor(value.substr(comma + 1), value)};
}

// The Debian unstable root with mysql-server-core (hack/install-mysql.sh).
fs::path mysqlRoot() {
    if (const char* r = std::getenv("TIDEMARK_MYSQL_ROOT"); r && *r) return r;
    if (const char* c = std::getenv("XDG_CACHE_HOME"); c && *c) return fs::path(c) / "tidemark" / "mysql-root";
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : "/root") / ".cache" / "tidemark" / "mysql-root";
}

std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("test support: command failed: " + command);
}

std::string readFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("test support: cannot write " + p.string());
}

fs::path tmpRoot() {
    const char* t = std::getenv("TMPDIR");
    return fs::path(t && *t ? t : "/tmp");
}

// Kills the servers of test process `owner` and removes its directories.
void cleanUpAfter(int owner) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tmpRoot(), ec)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("tidemark-srv-", 0) != 0 && name.rfind("tidemark-tmp-", 0) != 0) continue;
        if (std::atoi(name.c_str() + 13) != owner) continue;
        // Only a server of this directory: a stale pid file may name a recycled pid.
        int spid = std::atoi(readFile(entry.path() / "server.pid").c_str());
        const auto cmdline = spid > 0 ? readFile("/proc/" + std::to_string(spid) + "/cmdline") : std::string();
        if (cmdline.find(entry.path().string()) == std::string::npos) spid = 0;
        if (spid > 0) ::kill(spid, SIGKILL);
        for (int i = 0; i < 50 && spid > 0 && ::kill(spid, 0) == 0; ++i) usleep(100000);
        fs::remove_all(entry.path(), ec);
    }
}

// Removes directories of earlier test processes that died without cleaning up (a watchdog
// normally does it; this covers a machine that was rebooted, say).
void sweepStale() {
    static std::once_flag once;
    std::call_once(once, [] {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(tmpRoot(), ec)) {
            const auto name = entry.path().filename().string();
            if (name.rfind("tidemark-srv-", 0) != 0 && name.rfind("tidemark-tmp-", 0) != 0) continue;
            const int owner = std::atoi(name.c_str() + 13);
            if (owner > 0 && owner != getpid() && ::kill(owner, 0) != 0 && errno == ESRCH) cleanUpAfter(owner);
        }
    });
}

// A watchdog process per test process: it waits until every copy of a pipe's write end is
// closed (the test process and its forks have exited, however they ended: normally, by a
// signal, by SIGKILL or by a crash) and then kills their servers and removes their
// directories. Signal handlers cannot do this reliably: test frameworks replace them and run
// them on small alternate stacks.
void ensureWatchdog() {
    static std::atomic<int> forPid{0};
    const int self = getpid();
    if (forPid.exchange(self) == self) return;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    const pid_t pid = fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    if (pid == 0) {
        ::close(fds[1]);
        setpgid(0, 0);  // a Ctrl-C to the test must not end the watchdog first
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) std::signal(sig, SIG_IGN);
        // Let go of the test's stdout/stderr: ctest waits until every holder closes them.
        int devnull = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd) dup2(devnull, fd);
        char c;
        while (read(fds[0], &c, 1) != 0) {}
        cleanUpAfter(self);
        _exit(0);
    }
    ::close(fds[0]);  // the write end stays open for the life of this process, on purpose
}

fs::path makeDir(const std::string& kind, const std::string& name) {
    static std::atomic<int> counter{0};
    sweepStale();
    ensureWatchdog();
    const auto dir = tmpRoot() /
        ("tidemark-" + kind + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

unsigned freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0) ::close(fd);
        throw std::runtime_error("test support: cannot find a free loopback port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool isRoot() { return geteuid() == 0; }

// mysqld runs from the unstable root through that root's own dynamic loader and libraries (it
// needs a newer C library than the host's), so it sees the host's paths: no chroot, any user.
std::vector<std::string> mysqldCommand() {
    const auto root = mysqlRoot();
    return {(root / "usr/lib64/ld-linux-x86-64.so.2").string(),
            "--library-path",
            (root / "usr/lib/x86_64-linux-gnu").string(),
            (root / "usr/sbin/mysqld").string(),
            "--no-defaults",
            "--basedir=" + (root / "usr").string(),
            "--lc-messages-dir=" + (root / "usr/share/mysql").string(),
            "--character-sets-dir=" + (root / "usr/share/mysql/charsets").string(),
            "--plugin-dir=" + (root / "usr/lib/mysql/plugin").string()};
}

std::string joinQuoted(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args) out += (out.empty() ? "" : " ") + shellQuote(a);
    return out;
}

// The MySQL root's version line, e.g. "/usr/sbin/mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))".
std::string mysqlStamp() { return readFile(mysqlRoot() / ".tidemark-ready"); }

// A data directory initialised once per machine and server version, copied for each server:
// bootstrapping takes seconds, a copy takes milliseconds.
// MySQL 8+ takes lower_case_table_names at initialisation only (its data dictionary records it),
// so each value has a template of its own; MariaDB takes it at every start.
fs::path templateDir(Flavor flavor, int lowerCaseTableNames) {
    if (flavor == Flavor::MariaDB) lowerCaseTableNames = 0;
    static std::once_flag once[2][3];
    static fs::path dirs[2][3];
    const int index = flavor == Flavor::MySQL ? 1 : 0;
    const int lctn = lowerCaseTableNames;
    std::call_once(once[index][lctn], [flavor, index, lctn] {
        const std::string key =
            (flavor == Flavor::MySQL ? "mysql-" + std::to_string(std::hash<std::string>{}(mysqlStamp()) % 1000000)
                                     : "mariadb") +
            (lctn ? "-lctn" + std::to_string(lctn) : "");
        const auto base = tmpRoot() / ("tidemark-" + key + "-template-" + std::to_string(geteuid()));
        auto& dir = dirs[index][lctn];
        dir = base / "data";
        fs::create_directories(base);
        const auto lockPath = base / "lock";
        // Several test processes may race to build it: one builds, the others wait.
        struct FileLock {
            int fd;
            ~FileLock() {
                if (fd >= 0) ::close(fd);  // closing releases the flock
            }
        } lock{::open(lockPath.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600)};
        if (lock.fd < 0 || ::flock(lock.fd, LOCK_EX) != 0)
            throw std::runtime_error("test support: cannot lock " + lockPath.string());
        if (fs::exists(base / "ready")) return;
        fs::remove_all(dir);
        const auto building = base / "building";
        fs::remove_all(building);
        std::string cmd;
        if (flavor == Flavor::MySQL) {
            // --initialize-insecure makes root@localhost with no password; the init file adds
            // the TCP root the tests connect as (MySQL has no other account creation at bootstrap).
            const auto init = base / "init.sql";
            writeFile(init,
                      "CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '';\n"
                      "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n");
            auto args = mysqldCommand();
            args.insert(args.end(),
                        {"--initialize-insecure", "--datadir=" + building.string(), "--init-file=" + init.string()});
            if (isRoot()) args.push_back("--user=root");
            if (lctn) args.push_back("--lower-case-table-names=" + std::to_string(lctn));
            args.insert(args.end(), kMySqlInnodbArgs.begin(), kMySqlInnodbArgs.end());
            cmd = joinQuoted(args);
        } else {
            fs::create_directories(building);
            cmd = std::string(kInstallDb) + " --no-defaults --datadir=" + shellQuote(building.string()) +
                " --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve" +
                (isRoot() ? " --user=root" : "");
            for (const auto& a : kMariaDbInnodbArgs) cmd += " " + a;
            // install-db creates root@localhost, root@127.0.0.1 and root@::1 with no password.
        }
        cmd += " > " + shellQuote((base / "install.log").string()) + " 2>&1";
        try {
            run(cmd);
        } catch (const std::exception&) {
            throw std::runtime_error("test support: cannot initialise a " + std::string(flavorName(flavor)) +
                                     " data directory; its log:\n" + readFile(base / "install.log"));
        }
        fs::rename(building, dir);
        writeFile(base / "ready", "");
    });
    return dirs[index][lctn];
}

unsigned nextServerId() {
    static std::atomic<unsigned> id{static_cast<unsigned>(getpid() % 100000) * 100 + 1};
    return id++;
}

}  // namespace

// --- Flavors -------------------------------------------------------------------------------

Flavor sourceFlavor() { return flavorsFromEnv().first; }
Flavor targetFlavor() { return flavorsFromEnv().second; }
const char* flavorName(Flavor f) { return f == Flavor::MySQL ? "MySQL" : "MariaDB"; }

bool available(Flavor f, std::string* why) {
    if (f == Flavor::MariaDB) {
        if (::access(kMariadbd, X_OK) == 0) return true;
        if (why) *why = std::string(kMariadbd) + " is missing (hack/install-deps.sh installs mariadb-server)";
        return false;
    }
    const auto root = mysqlRoot();
    if (fs::exists(root / ".tidemark-ready") && ::access((root / "usr/sbin/mysqld").c_str(), X_OK) == 0) return true;
    if (why) *why = "no MySQL server root at " + root.string() + " (hack/install-mysql.sh prepares it)";
    return false;
}

// --- TLS ---------------------------------------------------------------------------------

const TlsMaterial& testTls() {
    static std::once_flag once;
    static TlsMaterial tls;
    static fs::path dir;
    std::call_once(once, [] {
        dir = makeDir("tmp", "tls");
        const auto d = shellQuote(dir.string());
        const std::string q = " > /dev/null 2>&1";
        const std::string cmds = "cd " + d + " && " +
            "openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=tidemark test CA' "
            "-keyout ca.key -out ca.crt" +
            q + " && " +
            "openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=unrelated CA' "
            "-keyout other-ca.key -out other-ca.crt" +
            q + " && " +
            "openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout server.key -out server.csr" + q +
            " && " +
            "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > server.ext && " +
            "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 "
            "-extfile server.ext -out server.crt" +
            q + " && " +
            "openssl req -newkey rsa:2048 -nodes -subj '/CN=tidemark client' -keyout client.key -out client.csr" + q +
            " && " +
            "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 "
            "-out client.crt" +
            q;
        run(cmds);
        tls = {dir / "ca.crt",     dir / "server.crt", dir / "server.key",
               dir / "client.crt", dir / "client.key", dir / "other-ca.crt"};
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(dir, ec);
        });
    });
    return tls;
}

// --- DbServer -------------------------------------------------------------------------

DbServer::DbServer(ServerOptions options) : options_(std::move(options)) {
    if (options_.serverId == 0) options_.serverId = nextServerId();
    if (std::string why; !available(options_.flavor, &why))
        throw std::runtime_error(std::string("test support: cannot start a ") + flavorName(options_.flavor) +
                                 " server: " + why);
    if (options_.lowerCaseTableNames < 0 || options_.lowerCaseTableNames > 2)
        throw std::invalid_argument("test support: lowerCaseTableNames must be 0, 1 or 2");
    const auto tmpl = templateDir(options_.flavor, options_.lowerCaseTableNames);
    dir_ = makeDir("srv", options_.name);
    run("cp -a " + shellQuote(tmpl.string()) + " " + shellQuote((dir_ / "data").string()));
    // MySQL keeps its server_uuid (the source id of its GTIDs) in auto.cnf: without it each
    // server makes its own, as distinct servers must for replication and failover tests.
    if (isMySql()) fs::remove(dir_ / "data" / "auto.cnf");
    fs::create_directories(dir_ / "tmp");
    for (int attempt = 1;; ++attempt) {
        port_ = freePort();
        try {
            start();
            return;
        } catch (const std::exception&) {
            const bool portTaken = errorLog().find("Address already in use") != std::string::npos;
            if (!portTaken || attempt == 3) {
                std::error_code ec;
                fs::remove_all(dir_, ec);
                throw;
            }
        }
    }
}

DbServer::~DbServer() {
    if (pid_ > 0) kill();
    std::error_code ec;
    if (!std::getenv("TIDEMARK_KEEP_SERVERS")) fs::remove_all(dir_, ec);
}

void DbServer::start() {
    if (pid_ > 0) return;
    launch();
    waitReady();
}

std::vector<std::string> DbServer::serverArgs() const {
    const bool mysql = isMySql();
    std::vector<std::string> args = mysql ? mysqldCommand() : std::vector<std::string>{kMariadbd, "--no-defaults"};
    args.insert(args.end(),
                {
                    "--datadir=" + (dir_ / "data").string(),
                    "--socket=" + (dir_ / "mysqld.sock").string(),
                    "--pid-file=" + (dir_ / "server.pid").string(),
                    "--log-error=" + (dir_ / "error.log").string(),
                    "--port=" + std::to_string(port_),
                    "--bind-address=127.0.0.1",
                    "--skip-name-resolve",
                    "--performance-schema=OFF",
                    "--max-connections=300",
                    "--local-infile=1",
                    "--secure-file-priv=" + dir_.string(),
                    "--tmpdir=" + (dir_ / "tmp").string(),  // not the shared /tmp: servers must not collide
                    "--server-id=" + std::to_string(options_.serverId),
                });
    const auto& innodb = innodbArgs(options_.flavor);
    args.insert(args.end(), innodb.begin(), innodb.end());
    if (mysql) args.insert(args.end(), {"--mysqlx=OFF", "--log-error-verbosity=2"});
    if (isRoot()) args.push_back("--user=root");
    if (options_.binlog) {
        args.push_back("--log-bin=" + (dir_ / "data" / "mysql-bin").string());
        args.push_back("--binlog-format=" + options_.binlogFormat);
        args.push_back("--binlog-row-image=" + options_.rowImage);
        args.push_back("--binlog-checksum=" + options_.checksum);
        if (!options_.rowMetadata.empty()) args.push_back("--binlog-row-metadata=" + options_.rowMetadata);
        if (mysql && options_.gtid) args.insert(args.end(), {"--gtid-mode=ON", "--enforce-gtid-consistency=ON"});
    } else if (mysql) {
        args.push_back("--skip-log-bin");  // MySQL logs binlogs by default; MariaDB does not
    }
    if (options_.lowerCaseTableNames)
        args.push_back("--lower-case-table-names=" + std::to_string(options_.lowerCaseTableNames));
    if (options_.tls) {
        const auto& t = testTls();
        args.push_back("--ssl-ca=" + t.caCert.string());
        args.push_back("--ssl-cert=" + t.serverCert.string());
        args.push_back("--ssl-key=" + t.serverKey.string());
    }
    args.insert(args.end(), options_.extraArgs.begin(), options_.extraArgs.end());
    return args;
}

void DbServer::launch() {
    auto args = serverArgs();
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto out = (dir_ / "stdout.log").string();

    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("test support: fork failed");
    if (pid == 0) {
        // The server dies with the test that started it, even one killed with SIGKILL.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        setpgid(0, 0);  // a Ctrl-C reaches the test, which stops the server itself
        int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            ::close(fd);
        }
        execv(argv[0], argv.data());
        _exit(127);
    }
    pid_ = pid;
}

void DbServer::waitReady() {
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + seconds(60);
    auto opts = rootOptions();
    opts.connectTimeout = seconds(2);
    while (true) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("test support: " + std::string(flavorName(options_.flavor)) + " server '" +
                                     options_.name + "' exited at start; its log:\n" + errorLog());
        }
        try {
            db::Connection::open(opts);
            return;
        } catch (const db::DbError&) {}
        if (steady_clock::now() > deadline) {
            kill();
            throw std::runtime_error("test support: " + std::string(flavorName(options_.flavor)) + " server '" +
                                     options_.name + "' not ready in 60 s; its log:\n" + errorLog());
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
}

void DbServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600; ++i) {  // up to 60 s for a clean shutdown
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill();
}

void DbServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::string DbServer::errorLog() const { return readFile(dir_ / "error.log") + readFile(dir_ / "stdout.log"); }

db::ConnectOptions DbServer::rootOptions(const std::string& role) const {
    db::ConnectOptions o;
    o.role = role;
    o.host = host_;
    o.port = port_;
    o.user = "root";
    o.connectTimeout = std::chrono::seconds(5);
    o.allowLocalInfile = true;
    return o;
}

std::string DbServer::version() const { return connectRoot().scalar("SELECT VERSION()").value_or(""); }

db::Connection DbServer::connectRoot() const { return db::Connection::open(rootOptions()); }

void DbServer::exec(const std::string& sql) const { connectRoot().execute(sql); }

db::ConnectOptions DbServer::createUser(const std::string& user, const std::string& password,
                                        const std::vector<std::string>& grants, const std::string& role) const {
    auto c = connectRoot();
    c.execute("CREATE USER " + c.quote(user) + "@'%' IDENTIFIED BY " + c.quote(password));
    for (const auto& g : grants) c.execute("GRANT " + g + " TO " + c.quote(user) + "@'%'");
    auto o = rootOptions(role);
    o.user = user;
    o.password = password;
    return o;
}

// --- SecretsDir / TempDir -----------------------------------------------------------------

SecretsDir::SecretsDir() : dir_(makeDir("tmp", "secrets")) {}
SecretsDir::~SecretsDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void SecretsDir::put(const std::string& secret, const std::string& key, const std::string& value) const {
    fs::create_directories(dir_ / secret);
    writeFile(dir_ / secret / key, value);
}

void SecretsDir::putFile(const std::string& secret, const std::string& key, const fs::path& from) const {
    put(secret, key, readFile(from));
}

TempDir::TempDir(const std::string& name) : dir_(makeDir("tmp", name)) {}
TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

fs::path TempDir::write(const std::string& file, const std::string& text) const {
    const auto p = dir_ / file;
    fs::create_directories(p.parent_path());
    writeFile(p, text);
    return p;
}

}  // namespace tidemark::testing
