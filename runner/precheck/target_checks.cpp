#include "runner/precheck/checks.h"
#include "runner/precheck/grants.h"

#include <set>

namespace tidemark::precheck {

void checkConnectionLimit(Context& ctx, db::Connection& conn, const std::string& item, int needed,
                          const std::string& side) {
    try {
        auto vars =
            conn.query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections', 'max_user_connections')");
        long long maxConnections = 0, maxUser = 0;
        for (auto& row : vars.rows) {
            const auto value = std::stoll(row[1].value_or("0"));
            if (row[0] == std::optional<std::string>("max_connections")) maxConnections = value;
            else maxUser = value;
        }
        const auto connected = std::stoll(conn.query("SHOW GLOBAL STATUS LIKE 'Threads_connected'").text(0, "Value"));
        // Our own probing connection is among Threads_connected and will be one of the job's.
        long long free = maxConnections - connected + 1;
        std::string limitBy =
            "max_connections " + std::to_string(maxConnections) + ", " + std::to_string(connected) + " in use";
        if (maxUser > 0 && maxUser < free) {
            free = maxUser;
            limitBy = "max_user_connections " + std::to_string(maxUser);
        }
        const std::string msg = "the job opens up to " + std::to_string(needed) + " connections to the " + side + "; " +
            std::to_string(free) + " are available (" + limitBy + ")";
        if (free < needed)
            ctx.add({item, State::Failed, msg,
                     "Raise max_connections (or the user's max_user_connections) on the " + side +
                         ", or lower spec.capacity."});
        else if (free < needed * 2)
            ctx.add({item, State::Warning, msg + "; little headroom is left for applications",
                     "Raise max_connections on the " + side + " or lower spec.capacity."});
        else ctx.add({item, State::Pass, msg, ""});
    } catch (const std::exception& e) {
        ctx.add({item, State::Warning, std::string("cannot read the connection limits: ") + e.what(), ""});
    }
}

void checkTarget(Context& ctx) {
    static const std::vector<std::string> kNeeded = {"CREATE", "SELECT", "INSERT", "UPDATE",
                                                     "DELETE", "ALTER",  "DROP",   "INDEX"};
    std::vector<std::string> lines;
    try {
        for (auto& row : ctx.target->query("SHOW GRANTS").rows)
            if (row[0]) lines.push_back(*row[0]);
    } catch (const db::DbError& e) {
        ctx.add({"target_privileges", State::Warning, std::string("cannot read SHOW GRANTS: ") + e.what(), ""});
        lines.clear();
    }
    if (!lines.empty()) {
        const auto grants = parseGrants(lines);
        // Target databases carry the source names; tidemark_meta holds the job's checkpoints.
        std::set<std::string> databases = {"tidemark_meta"};
        for (const auto& t : ctx.tables) databases.insert(t.database);
        std::vector<std::string> missing;
        for (const auto& p : kNeeded) {
            std::vector<std::string> lacking;
            for (const auto& d : databases)
                if (!grants.allows(p, d, "*")) lacking.push_back("`" + d + "`");
            if (!lacking.empty()) missing.push_back(p + " on " + summarize(lacking));
        }
        const auto& user = ctx.targetOptions.user;
        if (missing.empty())
            ctx.add({"target_privileges", State::Pass,
                     "user '" + user + "' has CREATE, SELECT, INSERT, UPDATE, DELETE, ALTER, DROP, INDEX", ""});
        else
            ctx.add(
                {"target_privileges", State::Failed, "user '" + user + "' lacks " + summarize(missing, 8),
                 "On the target, run: GRANT CREATE, SELECT, INSERT, UPDATE, DELETE, ALTER, DROP, INDEX ON *.* TO '" +
                     user + "'@'%';"});
    }
    const int workers = api::capacityPlan(ctx.job.capacity).workers;
    checkConnectionLimit(ctx, *ctx.target, "target_connection_limit", workers + 1, "target");
}

}  // namespace tidemark::precheck
