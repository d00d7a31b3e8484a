#include "runner/precheck/checks.h"

#include "runner/db/catalog.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace tidemark::precheck {

std::string_view nameOf(State s) {
    switch (s) {
        case State::Pass: return "Pass";
        case State::Warning: return "Warning";
        case State::Failed: return "Failed";
    }
    return "?";
}

int Report::count(State s) const {
    return static_cast<int>(std::count_if(items.begin(), items.end(), [&](const Item& i) { return i.state == s; }));
}

bool Report::mayProceed(bool ignoreWarnings) const {
    return count(State::Failed) == 0 && (ignoreWarnings || count(State::Warning) == 0);
}

const std::vector<std::string>& itemNames() {
    static const std::vector<std::string> names = {"source_connection",
                                                   "target_connection",
                                                   "source_version",
                                                   "source_privileges",
                                                   "target_privileges",
                                                   "binlog_enabled",
                                                   "binlog_format",
                                                   "binlog_row_image",
                                                   "binlog_retention",
                                                   "server_id",
                                                   "binlog_compression",
                                                   "binlog_db_filter",
                                                   "source_writable",
                                                   "start_position",
                                                   "source_connection_limit",
                                                   "target_connection_limit",
                                                   "object_selection",
                                                   "primary_keys",
                                                   "foreign_keys",
                                                   "charsets",
                                                   "column_types",
                                                   "unsupported_tables",
                                                   "non_transactional_tables",
                                                   "target_tables",
                                                   "physical_target_empty",
                                                   "shard_schemas",
                                                   "shard_auto_increment",
                                                   "shard_key_conflicts",
                                                   "shard_full_mode",
                                                   "row_filters",
                                                   "routes_match",
                                                   "sources_apart",
                                                   "source_schemas"};
    return names;
}

bool Context::skipped(const std::string& name) const {
    const auto& skip = job.precheck.skip;
    return std::find(skip.begin(), skip.end(), name) != skip.end();
}

void Context::add(Item item) {
    if (skipped(item.name)) {
        report.skipped.push_back(item.name);
        return;
    }
    if (item.state == State::Pass) item.instruction.clear();
    report.items.push_back(std::move(item));
}

std::string Context::sourceVariable(const std::string& name) const {
    auto it = sourceVariables.find(name);
    return it == sourceVariables.end() ? std::string() : it->second;
}

bool Context::sourceIsMariaDB() const { return source && source->isMariaDB(); }

std::string summarize(const std::vector<std::string>& names, std::size_t shown) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
}

namespace {

void connect(Context& ctx, const db::ConnectOptions& options, std::optional<db::Connection>& slot,
             const std::string& item) {
    try {
        slot.emplace(db::Connection::open(options));
        ctx.add({item, State::Pass,
                 "connected to " + options.endpoint() + (options.tls ? " over verified TLS" : "") + " (" +
                     slot->serverVersion() + ")",
                 ""});
    } catch (const db::DbError& e) {
        std::string instruction;
        switch (e.kind()) {
            case db::ErrorKind::Dns:
                instruction = "Check spec." + options.role + ".host; the name must resolve from where the runner runs.";
                break;
            case db::ErrorKind::Refused:
                instruction = "Check spec." + options.role +
                    ".host and port, and that firewalls or security groups let the runner reach the server.";
                break;
            case db::ErrorKind::Tls:
                instruction = "Check the TLS secret of spec." + options.role +
                    ": ca.crt must be the CA that signed the server certificate, whose names must include the host; a "
                    "client certificate needs tls.crt and tls.key.";
                break;
            case db::ErrorKind::Authentication:
                instruction = "Check the username and password in the credentials secret of spec." + options.role +
                    ", and that the user may connect from the runner's address.";
                break;
            default: instruction = "Check that the server is up and accepts connections."; break;
        }
        ctx.add({item, State::Failed, e.what(), instruction});
    }
}

}  // namespace

Report run(const api::MigrationJob& spec, const db::ConnectOptions& source, const db::ConnectOptions& target) {
    Report report;
    api::MigrationJob job = spec;
    Context ctx{job, source, target, std::nullopt, std::nullopt, {}, {}, report};
    connect(ctx, source, ctx.source, "source_connection");
    connect(ctx, target, ctx.target, "target_connection");
    // Names compare as the source compares them (its lower_case_table_names), as in copy and replay.
    if (ctx.source) {
        try {
            job.objects = db::withNameRuleOf(*ctx.source, job.objects);
        } catch (const db::DbError&) {}
    }
    if (ctx.source) checkSource(ctx);
    if (ctx.target) checkTarget(ctx);
    if (ctx.source) checkSchemas(ctx);
    if (ctx.source) checkConsolidation(ctx);
    return report;
}

std::string renderTable(const Report& report) {
    std::ostringstream out;
    std::size_t width = 4;
    for (const auto& i : report.items) width = std::max(width, i.name.size());
    for (const auto& i : report.items) {
        out << "  "
            << (i.state == State::Pass          ? "PASS   "
                    : i.state == State::Warning ? "WARNING"
                                                : "FAILED ")
            << "  " << i.name << std::string(width - i.name.size(), ' ') << "  " << i.message << "\n";
        if (!i.instruction.empty()) out << "  " << std::string(9 + width, ' ') << "  fix: " << i.instruction << "\n";
    }
    for (const auto& s : report.skipped) out << "  SKIPPED  " << s << "\n";
    out << "\n"
        << report.count(State::Pass) << " passed, " << report.count(State::Warning) << " warnings, "
        << report.count(State::Failed) << " failed\n";
    return out.str();
}

nlohmann::json toJson(const Report& report) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& i : report.items) {
        nlohmann::json item = {{"name", i.name}, {"state", nameOf(i.state)}, {"message", i.message}};
        if (!i.instruction.empty()) item["instruction"] = i.instruction;
        items.push_back(std::move(item));
    }
    nlohmann::json out = {{"items", items},
                          {"skipped", report.skipped},
                          {"passed", report.count(State::Pass)},
                          {"warnings", report.count(State::Warning)},
                          {"failed", report.count(State::Failed)}};
    return out;
}

std::string renderJson(const Report& report) { return toJson(report).dump(2); }

}  // namespace tidemark::precheck
