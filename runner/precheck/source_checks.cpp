#include "runner/db/binlog_status.h"
#include "runner/db/catalog.h"
#include "runner/db/dialect/flavor.h"
#include "runner/precheck/checks.h"
#include "runner/precheck/grants.h"
#include "runner/precheck/instructions.h"

#include <algorithm>
#include <regex>

namespace tidemark::precheck {

namespace {

using api::SourceFlavor;

std::vector<std::string> showGrants(db::Connection& c) {
    std::vector<std::string> lines;
    for (auto& row : c.query("SHOW GRANTS").rows)
        if (!row.empty() && row[0]) lines.push_back(*row[0]);
    return lines;
}

// What the job's sessions may do: SHOW GRANTS of the current user, which holds the privileges
// of the roles active at login (both flavors expand them), plus the granted roles that are not
// active and so give nothing until they are made default.
struct AccountGrants {
    Grants grants;
    std::vector<std::string> inactiveRoles;
};

AccountGrants accountGrants(db::Connection& c) {
    AccountGrants out;
    out.grants = parseGrants(showGrants(c));
    if (out.grants.roles.empty()) return out;
    std::vector<std::string> active;
    try {
        active = parseRoleList(c.scalar("SELECT CURRENT_ROLE()").value_or(""));
    } catch (const db::DbError&) {
        // A server without roles (MySQL 5.7) granted none.
    }
    for (const auto& role : out.grants.roles)
        if (std::find(active.begin(), active.end(), role) == active.end()) out.inactiveRoles.push_back(role);
    return out;
}

void checkVersion(Context& ctx) {
    const auto version = ctx.source->serverVersion();
    const auto flavor = ctx.job.source.flavor;
    const auto server = db::dialect::parseServerVersion(version);
    if (server.isMariaDB()) {
        ctx.add({"source_version", State::Warning,
                 "source is MariaDB " + version +
                     ": supported by tidemark, but MariaDB-only features (sequences, "
                     "system-versioned tables, INET6/UUID types) have no TiDB equivalent",
                 "Check the column_types, charsets and unsupported_tables items, and test the migration on a copy "
                 "first."});
        return;
    }
    if (server.major == 0) {
        ctx.add({"source_version", State::Warning, "cannot read the source version from '" + version + "'", ""});
        return;
    }
    const int major = server.major, minor = server.minor;
    const std::string mm = std::to_string(major) + "." + std::to_string(minor);
    if ((major == 5 && (minor == 6 || minor == 7)) || major == 8 || major == 9) {
        if (major == 5 && minor == 6 && (flavor == SourceFlavor::RDSMySQL || flavor == SourceFlavor::AzureMySQL))
            ctx.add({"source_version", State::Warning, "MySQL 5.6 on this provider is past its end of support",
                     "Upgrade the source to MySQL 5.7 or later."});
        else ctx.add({"source_version", State::Pass, "MySQL " + version + " is supported", ""});
    } else if (major > 9) {
        ctx.add({"source_version", State::Warning,
                 "MySQL " + mm + " is newer than the versions tidemark is tested with (5.6 to 9.x)",
                 "Test the migration on a copy first."});
    } else {
        ctx.add({"source_version", State::Failed, "MySQL " + version + " is not supported (need 5.6 or later)",
                 "Upgrade the source to MySQL 8.0 or later."});
    }
}

void checkPrivileges(Context& ctx) {
    std::vector<std::string> needGlobal, needTables;
    needTables.push_back("SELECT");
    if (ctx.job.copiesExistingData() && !ctx.sourceIsMariaDB()) needTables.push_back("LOCK TABLES");
    if (ctx.job.replicates()) needGlobal = {"REPLICATION SLAVE", "REPLICATION CLIENT"};
    else if (ctx.job.copiesExistingData() && !ctx.sourceIsMariaDB()) needGlobal = {"REPLICATION CLIENT"};

    AccountGrants account;
    try {
        account = accountGrants(*ctx.source);
    } catch (const db::DbError& e) {
        ctx.add({"source_privileges", State::Warning, std::string("cannot read SHOW GRANTS: ") + e.what(),
                 "Check that the user may run SHOW GRANTS."});
        return;
    }
    const auto& grants = account.grants;
    std::vector<std::string> missing;
    for (const auto& p : needGlobal)
        if (!grants.allows(p)) missing.push_back(p + " on *.*");
    for (const auto& p : needTables) {
        std::vector<std::string> lacking;
        for (const auto& t : ctx.tables)
            if (!grants.allows(p, t.database, t.table)) lacking.push_back(t.label());
        if (ctx.tables.empty() && !grants.allows(p)) {
            // No table is visible yet; a global check is all we can do.
            bool anyDb = false;
            for (const auto& g : grants.grants)
                if (g.privileges.count(p) || g.privileges.count("ALL")) anyDb = true;
            if (!anyDb) lacking.push_back("any table");
        }
        if (!lacking.empty()) missing.push_back(p + " on " + summarize(lacking));
    }
    const auto& user = ctx.sourceOptions.user;
    if (missing.empty()) {
        std::string all;
        for (const auto& p : needTables) all += (all.empty() ? "" : ", ") + p;
        for (const auto& p : needGlobal) all += ", " + p;
        ctx.add({"source_privileges", State::Pass, "user '" + user + "' has " + all, ""});
        return;
    }
    std::string privileges;
    for (const auto& p : needTables) privileges += (privileges.empty() ? "" : ", ") + p;
    for (const auto& p : needGlobal) privileges += ", " + p;
    std::string message = "user '" + user + "' lacks " + summarize(missing, 8) + " (the " +
        std::string(api::nameOf(ctx.job.type)) + " job needs " + privileges + ")";
    std::string instruction = grantInstruction(ctx.job.source.flavor, user, privileges, "*.*");
    if (!account.inactiveRoles.empty()) {
        std::vector<std::string> quoted;
        for (const auto& r : account.inactiveRoles) quoted.push_back(db::quoteIdent(r));
        message += "; granted role(s) " + summarize(quoted) +
            " are not active when the user logs in, so their privileges do not count";
        instruction =
            defaultRoleInstruction(ctx.sourceIsMariaDB(), user, account.inactiveRoles) + " Or: " + instruction;
    }
    ctx.add({"source_privileges", State::Failed, message, instruction});
}

long long toNumber(const std::string& s) {
    try {
        return s.empty() ? 0 : std::stoll(s);
    } catch (...) {
        return 0;
    }
}

void checkBinlog(Context& ctx) {
    const auto flavor = ctx.job.source.flavor;
    auto var = [&](const std::string& n) { return ctx.sourceVariable(n); };
    auto upper = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
        return s;
    };

    const bool binlogOn = upper(var("log_bin")) == "ON" || var("log_bin") == "1";
    if (binlogOn) ctx.add({"binlog_enabled", State::Pass, "log_bin is ON", ""});
    else
        ctx.add({"binlog_enabled", State::Failed, "log_bin is OFF: the source writes no binary log to replicate",
                 enableBinlogInstruction(flavor)});

    const auto format = upper(var("binlog_format"));
    if (format == "ROW") ctx.add({"binlog_format", State::Pass, "binlog_format is ROW", ""});
    else
        ctx.add({"binlog_format", State::Failed,
                 "binlog_format is " + (format.empty() ? std::string("unknown") : format) +
                     ": only ROW records every changed row exactly",
                 setVariableInstruction(flavor, "binlog_format", "ROW")});

    const auto image = upper(var("binlog_row_image"));
    if (image.empty() || image == "FULL") ctx.add({"binlog_row_image", State::Pass, "binlog_row_image is FULL", ""});
    else
        ctx.add({"binlog_row_image", State::Failed,
                 "binlog_row_image is " + image +
                     ": updates and deletes would not carry every column, so conflicts could not be resolved safely",
                 setVariableInstruction(flavor, "binlog_row_image", "FULL")});

    // Retention: 0 everywhere means binlogs are never purged automatically.
    // MySQL 8.4 removed expire_logs_days; where both exist a non-zero binlog_expire_logs_seconds wins.
    long long seconds = toNumber(var("binlog_expire_logs_seconds"));
    std::string retentionSource = "binlog_expire_logs_seconds";
    if (seconds == 0 && !var("expire_logs_days").empty()) {
        seconds = static_cast<long long>(std::stod(var("expire_logs_days")) * 86400);
        if (seconds > 0) retentionSource = "expire_logs_days";
    }
    if (flavor == SourceFlavor::RDSMySQL || flavor == SourceFlavor::AuroraMySQL) {
        try {
            auto v =
                ctx.source->query("SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'");
            if (!v.empty()) {
                retentionSource = "binlog retention hours";
                seconds = v.rows[0][0] ? toNumber(*v.rows[0][0]) * 3600 : 1;  // NULL: purged as soon as possible
            }
        } catch (const db::DbError&) {}
    }
    const auto days = [](long long s) {
        return std::to_string(s / 86400) + "." + std::to_string((s % 86400) * 10 / 86400) + " days";
    };
    const auto retentionFix = flavor == SourceFlavor::RDSMySQL || flavor == SourceFlavor::AuroraMySQL
        ? std::string("Run CALL mysql.rds_set_configuration('binlog retention hours', 168); to keep 7 days.")
        : setVariableInstruction(flavor, "binlog_expire_logs_seconds", "604800");
    if (seconds == 0) ctx.add({"binlog_retention", State::Pass, "binary logs are never purged automatically", ""});
    else if (seconds < 86400)
        ctx.add(
            {"binlog_retention", State::Failed,
             "binary logs are kept " + days(seconds) + " (" + retentionSource + "); a migration needs at least 1 day",
             retentionFix});
    else if (seconds < 7 * 86400)
        ctx.add({"binlog_retention", State::Warning,
                 "binary logs are kept " + days(seconds) + " (" + retentionSource +
                     "); 7 days are recommended so a paused or failed job can resume",
                 retentionFix});
    else ctx.add({"binlog_retention", State::Pass, "binary logs are kept " + days(seconds), ""});

    const auto serverId = toNumber(var("server_id"));
    if (serverId > 0) ctx.add({"server_id", State::Pass, "server_id is " + std::to_string(serverId), ""});
    else
        ctx.add({"server_id", State::Failed, "server_id is 0: the source refuses replication clients",
                 setVariableInstruction(flavor, "server_id", "a unique number above 0")});

    // tidemark decodes MySQL 8's zstd transaction payloads and MariaDB's compressed events.
    const bool mysqlCompression = upper(var("binlog_transaction_compression")) == "ON";
    const bool mariaCompression = upper(var("log_bin_compress")) == "ON";
    ctx.add({"binlog_compression", State::Pass,
             mysqlCompression       ? "binlog_transaction_compression is ON (zstd payloads are supported)"
                 : mariaCompression ? "log_bin_compress is ON (compressed events are supported)"
                                    : "binary log compression is off",
             ""});

    try {
        const auto status = db::readBinlogStatus(*ctx.source);
        std::vector<std::string> hidden;
        if (status) {
            const auto& doDb = status->doDbs;
            const auto& ignoreDb = status->ignoreDbs;
            std::vector<std::string> dbs;
            for (const auto& t : ctx.tables)
                if (std::find(dbs.begin(), dbs.end(), t.database) == dbs.end()) dbs.push_back(t.database);
            for (const auto& d : dbs) {
                const bool ignored = std::find(ignoreDb.begin(), ignoreDb.end(), d) != ignoreDb.end();
                const bool notDone = !doDb.empty() && std::find(doDb.begin(), doDb.end(), d) == doDb.end();
                if (ignored || notDone) hidden.push_back(d);
            }
        }
        if (hidden.empty())
            ctx.add({"binlog_db_filter", State::Pass,
                     "no binlog_do_db/binlog_ignore_db filter hides a selected database", ""});
        else
            ctx.add({"binlog_db_filter", State::Failed,
                     "the source's binlog_do_db/binlog_ignore_db keep changes to " + summarize(hidden) +
                         " out of the binary log",
                     "Remove binlog-do-db/binlog-ignore-db from the source's configuration (or the selected databases "
                     "from the job) and restart the source."});
    } catch (const db::DbError& e) {
        ctx.add({"binlog_db_filter", State::Warning,
                 "cannot read the binary log status (" + db::binlogStatusStatement(ctx.source->serverVersion()) +
                     "): " + e.what(),
                 grantInstruction(flavor, ctx.sourceOptions.user, "REPLICATION CLIENT", "*.*")});
    }

    const bool readOnlyInnodb = upper(var("innodb_read_only")) == "ON";
    if (readOnlyInnodb && flavor == SourceFlavor::AuroraMySQL)
        ctx.add({"source_writable", State::Failed,
                 "the source is an Aurora reader instance (innodb_read_only is ON); readers support only full copies",
                 "Point spec.source.host at the Aurora cluster's writer endpoint, or change spec.type to Full."});
    else if (readOnlyInnodb)
        ctx.add({"source_writable", State::Failed,
                 "the source is read-only (innodb_read_only is ON) and has no binary log of its own to replicate",
                 "Point spec.source.host at the primary (writer) server."});
    else ctx.add({"source_writable", State::Pass, "the source is a writable primary", ""});
}

void checkStartPosition(Context& ctx) {
    const auto& start = ctx.job.incremental.start;
    if (!start) return;
    try {
        if (!start->byGtid()) {
            auto logs = ctx.source->query("SHOW BINARY LOGS");
            std::string earliest = logs.empty() ? "" : logs.text(0, "Log_name");
            for (std::size_t i = 0; i < logs.size(); ++i) {
                if (logs.text(i, "Log_name") != start->binlogFile) continue;
                const auto size = static_cast<std::uint64_t>(toNumber(logs.text(i, "File_size")));
                if (start->binlogPos > size)
                    ctx.add({"start_position", State::Failed,
                             "binlogPos " + std::to_string(start->binlogPos) + " is past the end of " +
                                 start->binlogFile + " (" + std::to_string(size) + " bytes)",
                             "Use a position from " + db::binlogStatusStatement(ctx.source->serverVersion()) +
                                 " or SHOW BINLOG EVENTS."});
                else
                    ctx.add({"start_position", State::Pass,
                             start->binlogFile + ":" + std::to_string(start->binlogPos) + " is on the source", ""});
                return;
            }
            ctx.add({"start_position", State::Failed,
                     "binlog file " + start->binlogFile + " is not on the source (earliest is " +
                         (earliest.empty() ? "none" : earliest) + "): it was purged or never existed",
                     "Start from a position that still exists (SHOW BINARY LOGS), or run a FullAndIncremental job; "
                     "raise binlog retention so this does not recur."});
            return;
        }
        if (ctx.sourceIsMariaDB()) {
            // The first binlog's Gtid_list event holds the last GTID of each domain purged before it.
            auto logs = ctx.source->query("SHOW BINARY LOGS");
            if (logs.empty()) throw db::DbError(db::ErrorKind::Other, 0, "the source has no binary logs");
            auto events =
                ctx.source->query("SHOW BINLOG EVENTS IN " + ctx.source->quote(logs.text(0, "Log_name")) + " LIMIT 4");
            std::string purged;
            for (std::size_t i = 0; i < events.size(); ++i)
                if (events.text(i, "Event_type") == "Gtid_list") purged = events.text(i, "Info");
            static const std::regex gtid(R"((\d+)-(\d+)-(\d+))");
            std::map<std::string, long long> purgedSeq, wanted;
            for (std::sregex_iterator it(purged.begin(), purged.end(), gtid), end; it != end; ++it)
                purgedSeq[(*it)[1]] = std::max(purgedSeq[(*it)[1]], std::stoll((*it)[3]));
            for (std::sregex_iterator it(start->gtidSet.begin(), start->gtidSet.end(), gtid), end; it != end; ++it)
                wanted[(*it)[1]] = std::stoll((*it)[3]);
            std::vector<std::string> gone;
            for (const auto& [domain, seq] : purgedSeq) {
                auto w = wanted.find(domain);
                if (w == wanted.end() ? seq > 0 : w->second < seq) gone.push_back("domain " + domain);
            }
            if (gone.empty())
                ctx.add({"start_position", State::Pass,
                         "the binary logs after GTID " + start->gtidSet + " are all on the source", ""});
            else
                ctx.add({"start_position", State::Failed,
                         "transactions after " + start->gtidSet + " in " + summarize(gone) +
                             " were purged from the source (" + purged + ")",
                         "Start from a later GTID, or run a FullAndIncremental job; raise binlog retention so this "
                         "does not recur."});
            return;
        }
        auto row = ctx.source->query("SELECT GTID_SUBSET(@@GLOBAL.gtid_purged, " + ctx.source->quote(start->gtidSet) +
                                     ") AS ok, @@GLOBAL.gtid_purged AS purged");
        auto purged = row.text(0, "purged");
        std::erase(purged, '\n');
        if (purged.size() > 200) purged = purged.substr(0, 200) + "...";  // a set of many server UUIDs
        if (row.text(0, "ok") == "1")
            ctx.add({"start_position", State::Pass,
                     "the binary logs after GTID set " + start->gtidSet + " are all on the source", ""});
        else
            ctx.add({"start_position", State::Failed,
                     "transactions after " + start->gtidSet + " were purged from the source (gtid_purged " + purged +
                         " is not a subset of the start GTID set)",
                     "Start from a GTID set that includes gtid_purged, or run a FullAndIncremental job; raise binlog "
                     "retention so this does not recur."});
    } catch (const db::DbError& e) {
        ctx.add({"start_position", State::Failed, std::string("cannot check the start position: ") + e.what(),
                 grantInstruction(ctx.job.source.flavor, ctx.sourceOptions.user, "REPLICATION CLIENT", "*.*")});
    }
}

}  // namespace

void checkSource(Context& ctx) {
    auto vars = ctx.source->query(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', "
        "'binlog_expire_logs_seconds', 'expire_logs_days', 'server_id', 'binlog_transaction_compression', "
        "'log_bin_compress', 'innodb_read_only', 'read_only', 'max_connections', 'max_user_connections')");
    for (auto& row : vars.rows) {
        std::string name = row[0].value_or("");
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        ctx.sourceVariables[name] = row[1].value_or("");
    }
    // The selected tables are needed for the table-level privilege check.
    try {
        for (auto& [database, table] : db::selectedTables(*ctx.source, ctx.job.objects))
            ctx.tables.push_back({database, table});
    } catch (const db::DbError&) {}
    checkVersion(ctx);
    checkPrivileges(ctx);
    if (ctx.job.replicates()) {
        checkBinlog(ctx);
        checkStartPosition(ctx);
    }
    const int workers = api::capacityPlan(ctx.job.capacity).workers;
    // Copy workers, the snapshot coordinator and the binlog stream.
    checkConnectionLimit(ctx, *ctx.source, "source_connection_limit", workers + 2, "source");
}

}  // namespace tidemark::precheck
