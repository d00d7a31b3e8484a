#include "tests/support/mariadb_server.h"

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
const std::vector<std::string> kInnodbArgs = {
    "--innodb-buffer-pool-size=128M", "--innodb-log-file-size=64M", "--innodb-log-buffer-size=16M",
    "--innodb-flush-log-at-trx-commit=2", "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_general_ci"};

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
        // Only a mariadbd of this directory: a stale pid file may name a recycled pid.
        int spid = std::atoi(readFile(entry.path() / "mariadbd.pid").c_str());
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
        while (read(fds[0], &c, 1) != 0) {
        }
        cleanUpAfter(self);
        _exit(0);
    }
    ::close(fds[0]);  // the write end stays open for the life of this process, on purpose
}

fs::path makeDir(const std::string& kind, const std::string& name) {
    static std::atomic<int> counter{0};
    sweepStale();
    ensureWatchdog();
    const auto dir = tmpRoot() / ("tidemark-" + kind + "-" + std::to_string(getpid()) + "-" +
                                  std::to_string(counter++) + "-" + name);
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

// A data directory initialised once per machine and MariaDB version, copied for each server:
// mariadb-install-db takes seconds, a copy takes milliseconds.
fs::path templateDir() {
    static std::once_flag once;
    static fs::path dir;
    std::call_once(once, [] {
        const auto base = tmpRoot() / ("tidemark-mariadb-template-" + std::to_string(geteuid()));
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
        if (!fs::exists(base / "ready")) {
            fs::remove_all(dir);
            const auto building = base / "building";
            fs::remove_all(building);
            fs::create_directories(building);
            std::string cmd = std::string(kInstallDb) + " --no-defaults --datadir=" + shellQuote(building.string()) +
                              " --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve" +
                              (isRoot() ? " --user=root" : "");
            for (const auto& a : kInnodbArgs) cmd += " " + a;
            cmd += " > " + shellQuote((base / "install.log").string()) + " 2>&1";
            run(cmd);
            // install-db creates root@localhost, root@127.0.0.1 and root@::1 with no password.
            fs::rename(building, dir);
            writeFile(base / "ready", "");
        }
    });
    return dir;
}

unsigned nextServerId() {
    static std::atomic<unsigned> id{static_cast<unsigned>(getpid() % 100000) * 100 + 1};
    return id++;
}

}  // namespace

// --- TLS ---------------------------------------------------------------------------------

const TlsMaterial& testTls() {
    static std::once_flag once;
    static TlsMaterial tls;
    static fs::path dir;
    std::call_once(once, [] {
        dir = makeDir("tmp", "tls");
        const auto d = shellQuote(dir.string());
        const std::string q = " > /dev/null 2>&1";
        const std::string cmds =
            "cd " + d + " && " +
            "openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=tidemark test CA' "
            "-keyout ca.key -out ca.crt" + q + " && " +
            "openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=unrelated CA' "
            "-keyout other-ca.key -out other-ca.crt" + q + " && " +
            "openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout server.key -out server.csr" + q + " && " +
            "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > server.ext && " +
            "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 "
            "-extfile server.ext -out server.crt" + q + " && " +
            "openssl req -newkey rsa:2048 -nodes -subj '/CN=tidemark client' -keyout client.key -out client.csr" + q + " && " +
            "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 "
            "-out client.crt" + q;
        run(cmds);
        tls = {dir / "ca.crt", dir / "server.crt", dir / "server.key", dir / "client.crt", dir / "client.key",
               dir / "other-ca.crt"};
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(dir, ec);
        });
    });
    return tls;
}

// --- MariaDbServer -------------------------------------------------------------------------

MariaDbServer::MariaDbServer(ServerOptions options) : options_(std::move(options)) {
    if (options_.serverId == 0) options_.serverId = nextServerId();
    const auto tmpl = templateDir();
    dir_ = makeDir("srv", options_.name);
    run("cp -a " + shellQuote(tmpl.string()) + " " + shellQuote((dir_ / "data").string()));
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

MariaDbServer::~MariaDbServer() {
    if (pid_ > 0) kill();
    std::error_code ec;
    if (!std::getenv("TIDEMARK_KEEP_SERVERS")) fs::remove_all(dir_, ec);
}

void MariaDbServer::start() {
    if (pid_ > 0) return;
    launch();
    waitReady();
}

void MariaDbServer::launch() {
    std::vector<std::string> args = {
        kMariadbd,
        "--no-defaults",
        "--datadir=" + (dir_ / "data").string(),
        "--socket=" + (dir_ / "mysqld.sock").string(),
        "--pid-file=" + (dir_ / "mariadbd.pid").string(),
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
    };
    args.insert(args.end(), kInnodbArgs.begin(), kInnodbArgs.end());
    if (isRoot()) args.push_back("--user=root");
    if (options_.binlog) {
        args.push_back("--log-bin=" + (dir_ / "data" / "mysql-bin").string());
        args.push_back("--binlog-format=" + options_.binlogFormat);
        args.push_back("--binlog-row-image=" + options_.rowImage);
        args.push_back("--binlog-checksum=" + options_.checksum);
        if (!options_.rowMetadata.empty()) args.push_back("--binlog-row-metadata=" + options_.rowMetadata);
    }
    if (options_.tls) {
        const auto& t = testTls();
        args.push_back("--ssl-ca=" + t.caCert.string());
        args.push_back("--ssl-cert=" + t.serverCert.string());
        args.push_back("--ssl-key=" + t.serverKey.string());
    }
    args.insert(args.end(), options_.extraArgs.begin(), options_.extraArgs.end());

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

void MariaDbServer::waitReady() {
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + seconds(60);
    auto opts = rootOptions();
    opts.connectTimeout = seconds(2);
    while (true) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("test support: mariadbd '" + options_.name + "' exited at start; its log:\n" +
                                     errorLog());
        }
        try {
            db::Connection::open(opts);
            return;
        } catch (const db::DbError&) {
        }
        if (steady_clock::now() > deadline) {
            kill();
            throw std::runtime_error("test support: mariadbd '" + options_.name + "' not ready in 60 s; its log:\n" +
                                     errorLog());
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
}

void MariaDbServer::stop() {
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

void MariaDbServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::string MariaDbServer::errorLog() const { return readFile(dir_ / "error.log") + readFile(dir_ / "stdout.log"); }

db::ConnectOptions MariaDbServer::rootOptions(const std::string& role) const {
    db::ConnectOptions o;
    o.role = role;
    o.host = host_;
    o.port = port_;
    o.user = "root";
    o.connectTimeout = std::chrono::seconds(5);
    o.allowLocalInfile = true;
    return o;
}

db::Connection MariaDbServer::connectRoot() const { return db::Connection::open(rootOptions()); }

void MariaDbServer::exec(const std::string& sql) const { connectRoot().execute(sql); }

db::ConnectOptions MariaDbServer::createUser(const std::string& user, const std::string& password,
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
