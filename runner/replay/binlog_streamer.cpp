#include "runner/replay/binlog_streamer.h"

#include <mysql.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "runner/db/binlog_status.h"
#include "runner/replay/errors.h"
#include "runner/replay/position.h"

namespace tidemark::replay {

namespace {

constexpr uint8_t kComBinlogDump = 0x12;
constexpr uint8_t kComRegisterSlave = 0x15;
constexpr uint8_t kComBinlogDumpGtid = 0x1e;

void putLe(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void putLenStr(std::string& out, std::string_view s) {
    out.push_back(static_cast<char>(std::min<size_t>(s.size(), 255)));
    out.append(s.substr(0, 255));
}

std::string quoteString(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

// Error 1236 means the source cannot serve what we asked for, and asking again will not help:
// say why in the user's terms.
ReplayError dumpRefused(const std::string& endpoint, unsigned code, const std::string& serverMessage,
                        const Position& from) {
    const std::string where = from.file.empty() ? "GTID set " + from.gtidSet : from.text();
    std::string msg = endpoint + ": the source refused to stream its binlog from " + where + " (error " +
        std::to_string(code) + ": " + serverMessage + ")";
    if (code != db::dialect::kErSourceCannotServeBinlog) return ReplayError(msg, false);
    auto says = [&](const char* fragment) { return serverMessage.find(fragment) != std::string::npos; };
    if (says("first log") || says("purged") || says("not find") || says("Could not")) {
        msg = endpoint + ": binlog " +
            (from.file.empty() ? "for GTID set " + from.gtidSet : "file '" + from.file + "'") +
            " needed to resume at " + where + " is no longer on the source (purged; server said: " + serverMessage +
            "). Raise the source's binlog retention (binlog_expire_logs_seconds on MySQL 8 / MariaDB 10.6+, "
            "expire_logs_days on older servers) so binlogs outlive replication pauses, then restart the "
            "migration with a new full copy.";
    } else if (says("more GTIDs than") || says("not in the master's binlog") || says("not in the source's binlog")) {
        msg = endpoint + ": the source lacks transactions that replay already applied (its GTIDs end before " + where +
            "; server said: " + serverMessage +
            "). Point the job at the server it replicated from, or at a replica that has caught up with it.";
    } else if (says("same server_uuid") || says("same server_id")) {
        msg = endpoint +
            ": another replica with this job's server id took over the binlog stream (server said: " + serverMessage +
            "); run one runner per job, or give jobs distinct names.";
    }
    return ReplayError(msg, false);
}

// The GTID set executed at `file:pos` of a MySQL source: the file's PREVIOUS_GTIDS plus the
// GTIDs logged before `pos` (MySQL has no BINLOG_GTID_POS). Read in pages, so a large binlog
// does not have to fit in memory. "" when the source logs no GTIDs; nothing when it cannot tell
// (no privilege, a purged file: the dump that follows then says why).
std::optional<std::string> mysqlGtidSetAt(db::Connection& c, const std::string& file, uint64_t pos) {
    constexpr int kPage = 5000;
    GtidSet set;
    uint64_t from = 4;
    try {
        while (from < pos) {
            auto rows = c.query("SHOW BINLOG EVENTS IN " + c.quote(file) + " FROM " + std::to_string(from) + " LIMIT " +
                                std::to_string(kPage));
            uint64_t next = from;
            for (size_t i = 0; i < rows.size(); ++i) {
                const uint64_t at = std::stoull(rows.text(i, "Pos"));
                if (at >= pos) return set.text();
                const std::string type = rows.text(i, "Event_type");
                std::string info = rows.text(i, "Info");
                if (type == "Previous_gtids") {
                    std::erase(info, '\n');
                    if (!info.empty()) set = GtidSet::parse(info);
                } else if (type == "Gtid" || type.starts_with("Gtid_tagged")) {
                    // "SET @@SESSION.GTID_NEXT= 'uuid:N'" or 'uuid:tag:N' (type Gtid_tagged_log_event)
                    auto open = info.find('\'');
                    auto close = info.rfind('\'');
                    if (open == std::string::npos || close <= open) continue;
                    const std::string gtid = info.substr(open + 1, close - open - 1);
                    const auto colon = gtid.rfind(':');
                    set.addMysql(gtid.substr(0, colon), std::stoll(gtid.substr(colon + 1)));
                }
                next = std::max<uint64_t>(next, std::stoull(rows.text(i, "End_log_pos")));
            }
            if (rows.size() < static_cast<size_t>(kPage) || next <= from) break;
            from = next;
        }
    } catch (const db::DbError& e) {
        if (e.retryable()) throw;  // a lost connection: the session is retried from the start
        return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;  // text we could not read as a GTID set: better none than a wrong one
    }
    return set.text();
}

}  // namespace

bool transientStreamError(unsigned code, bool mariadb) {
    // The flavor matters for the codes the two servers use for different things (4031).
    using db::dialect::ErrorClass;
    const auto c = db::dialect::classify(code, "", mariadb ? db::dialect::Flavor::MariaDB : db::dialect::Flavor::MySQL);
    return c == ErrorClass::Reconnect || c == ErrorClass::RetryTxn;
}

uint32_t replicaServerId(const std::string& name) {
    uint32_t h = 2166136261u;
    for (unsigned char c : name) h = (h ^ c) * 16777619u;
    return (h & 0x3fffffffu) | 0x40000000u;
}

Position currentSourcePosition(db::Connection& source) {
    auto status = db::readBinlogStatus(source);
    if (!status)
        throw ReplayError(source.options().endpoint() +
                              ": the source reports no binary log position: binary logging is off (set log_bin "
                              "and binlog_format=ROW)",
                          false);
    return Position{status->file, status->pos, status->gtidSet};
}

struct BinlogStreamer::Impl {
    db::ConnectOptions options;
    StreamerOptions streamer;
    std::optional<db::Connection> conn;
    Position from;
    bool mariadb = false;

    std::thread reader;
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> packets;
    size_t bufferedBytes = 0;
    bool finished = false;             // reader ended (error or stop)
    std::optional<ReplayError> error;  // why it ended
    bool stopping = false;

    void readLoop() {
        MYSQL* m = conn->raw();
        for (;;) {
            unsigned long n = mysql_net_read_packet(m);
            std::unique_lock lock(mu);
            if (stopping) break;
            if (n == packet_error || n == 0) {
                const unsigned code = mysql_errno(m);
                const std::string text = mysql_error(m);
                if (transientStreamError(code, mariadb))
                    error =
                        ReplayError(options.endpoint() + ": binlog stream interrupted (error " + std::to_string(code) +
                                        ": " + text + "); reconnecting from the last checkpoint",
                                    true);
                else error = dumpRefused(options.endpoint(), code, text, from);
                break;
            }
            const auto* p = m->net.read_pos;
            if (p[0] == 0xFE && n < 9) {
                error = ReplayError(options.endpoint() + ": the source ended the binlog stream", true);
                break;
            }
            if (p[0] != 0x00) {
                error = ReplayError(options.endpoint() + ": unexpected replication packet", true);
                break;
            }
            cv.wait(lock, [&] { return stopping || bufferedBytes < streamer.maxBufferedBytes; });
            if (stopping) break;
            packets.emplace_back(reinterpret_cast<const char*>(p + 1), n - 1);
            bufferedBytes += n - 1;
            cv.notify_all();
        }
        std::lock_guard lock(mu);
        finished = true;
        cv.notify_all();
    }
};

BinlogStreamer::BinlogStreamer(db::ConnectOptions source, StreamerOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(source);
    impl_->streamer = std::move(options);
    if (impl_->streamer.serverId == 0) impl_->streamer.serverId = replicaServerId(impl_->streamer.replicaName);
    // Heartbeats arrive every period when idle; a silent socket for several periods is dead.
    auto readTimeout = std::chrono::duration_cast<std::chrono::seconds>(impl_->streamer.heartbeat * 5);
    impl_->options.readTimeout = std::max(readTimeout, std::chrono::seconds(5));
}

BinlogStreamer::~BinlogStreamer() { stop(); }

void BinlogStreamer::stop() {
    if (!impl_->reader.joinable()) {
        impl_->conn.reset();
        return;
    }
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
        impl_->cv.notify_all();
    }
    // Wake the reader blocked in recv(); closing the handle under it would be a use-after-free.
    if (impl_->conn) {
        auto fd = mysql_get_socket(impl_->conn->raw());
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
    impl_->reader.join();
    impl_->conn.reset();
}

SourceInfo BinlogStreamer::start(const Position& from) {
    stop();
    auto& s = *impl_;
    s.stopping = false;
    s.finished = false;
    s.error.reset();
    s.packets.clear();
    s.bufferedBytes = 0;
    s.conn.emplace(db::Connection::open(s.options));
    db::Connection& c = *s.conn;

    SourceInfo info;
    info.mariadb = c.isMariaDB();
    s.mariadb = info.mariadb;
    info.version = c.serverVersion();
    const std::string alg = c.scalar("SELECT @@global.binlog_checksum").value_or("NONE");
    info.checksum = alg == "CRC32" ? binlog::ChecksumAlg::Crc32 : binlog::ChecksumAlg::Off;
    c.execute("SET @master_binlog_checksum = @@global.binlog_checksum");
    c.execute("SET @source_binlog_checksum = @@global.binlog_checksum");
    const auto hbNanos =
        std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(s.streamer.heartbeat).count());
    c.execute("SET @master_heartbeat_period = " + hbNanos);
    c.execute("SET @source_heartbeat_period = " + hbNanos);

    Position start = from;
    const bool byGtid = start.file.empty() && !start.gtidSet.empty();
    if (start.file.empty() && start.gtidSet.empty()) start = currentSourcePosition(c);
    if (!byGtid && start.pos < 4) start.pos = 4;
    if (!byGtid && start.gtidSet.empty()) {
        // The GTID state at a file position, so the checkpoint can carry it from the start (and a
        // MySQL source can later be resumed by GTID set, on this server or on a replica of it).
        if (info.mariadb) {
            try {
                start.gtidSet =
                    c.scalar("SELECT BINLOG_GTID_POS(" + c.quote(start.file) + ", " + std::to_string(start.pos) + ")")
                        .value_or("");
            } catch (const db::DbError&) {}
        } else if (auto set = mysqlGtidSetAt(c, start.file, start.pos)) {
            start.gtidSet = *set;
        } else {
            info.gtidKnown = false;
        }
    }
    s.from = start;
    info.start = start;

    if (info.mariadb) {
        c.execute("SET @mariadb_slave_capability = 4");
        if (byGtid) {
            c.execute("SET @slave_connect_state = " + quoteString(start.gtidSet));
            c.execute("SET @slave_gtid_strict_mode = 0");
            c.execute("SET @slave_gtid_ignore_duplicates = 0");
        }
    } else {
        // A stable uuid per replica id, so a restarted runner replaces its own old dump thread.
        char uuid[40];
        const uint32_t id = s.streamer.serverId;
        std::snprintf(uuid, sizeof uuid, "7469646d-%04x-4000-8000-%012x", id >> 16, id & 0xffffu);
        c.execute(std::string("SET @slave_uuid = '") + uuid + "'");
        c.execute(std::string("SET @replica_uuid = '") + uuid + "'");
    }

    MYSQL* m = c.raw();
    std::string reg;
    putLe(reg, s.streamer.serverId, 4);
    putLenStr(reg, s.streamer.replicaName);
    putLenStr(reg, "");
    putLenStr(reg, "");
    putLe(reg, 0, 2);
    putLe(reg, 0, 4);
    putLe(reg, 0, 4);
    if (m->methods->db_command(m, static_cast<enum enum_server_command>(kComRegisterSlave), reg.data(), reg.size(), 0,
                               nullptr) != 0)
        c.fail("registering as a replica (COM_REGISTER_SLAVE)");

    std::string dump;
    uint8_t command = kComBinlogDump;
    if (byGtid && !info.mariadb) {
        command = kComBinlogDumpGtid;
        const std::string gtid = GtidSet::parse(start.gtidSet).encodeMysql();
        putLe(dump, 0, 2);  // flags
        putLe(dump, s.streamer.serverId, 4);
        putLe(dump, 0, 4);  // empty file name
        putLe(dump, 4, 8);
        putLe(dump, gtid.size(), 4);
        dump += gtid;
    } else {
        putLe(dump, byGtid ? 4 : start.pos, 4);
        putLe(dump, 0, 2);  // flags: blocking, no annotate rows (MariaDB's 0x02 means HEARTBEAT_V2 to MySQL)
        putLe(dump, s.streamer.serverId, 4);
        if (!byGtid) dump += start.file;
    }
    if (m->methods->db_command(m, static_cast<enum enum_server_command>(command), dump.data(), dump.size(), 1,
                               nullptr) != 0)
        c.fail("requesting the binlog stream");
    s.reader = std::thread([&s] { s.readLoop(); });
    return info;
}

bool BinlogStreamer::hasBuffered() const {
    std::lock_guard lock(impl_->mu);
    return !impl_->packets.empty();
}

bool BinlogStreamer::next(std::string& event, std::chrono::milliseconds timeout) {
    auto& s = *impl_;
    std::unique_lock lock(s.mu);
    s.cv.wait_for(lock, timeout, [&] { return !s.packets.empty() || s.finished; });
    if (!s.packets.empty()) {
        event = std::move(s.packets.front());
        s.packets.pop_front();
        s.bufferedBytes -= event.size();
        s.cv.notify_all();
        return true;
    }
    if (s.finished) {
        if (s.error) throw *s.error;
        throw ReplayError(s.options.endpoint() + ": binlog stream closed", true);
    }
    return false;
}

}  // namespace tidemark::replay
