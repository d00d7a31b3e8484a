#include "runner/cli/commands.h"

#include "runner/cli/each_source.h"
#include "runner/consolidate/router.h"
#include "runner/copy/full_copy.h"
#include "runner/cutover/cutover.h"
#include "runner/db/catalog.h"
#include "runner/db/credentials.h"
#include "runner/kube_status/kube_status_sink.h"
#include "runner/meta/job_instance.h"
#include "runner/precheck/precheck.h"
#include "runner/replay/errors.h"
#include "runner/replay/fence.h"
#include "runner/replay/replay.h"
#include "runner/status/metrics_sink.h"
#include "runner/status/sources_status.h"
#include "runner/status/status_sink.h"
#include "runner/validate/validator.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>

namespace tidemark::cli {

namespace {

bool jsonOutput(const Options& o) { return o.output == "json" || (o.output == "auto" && !isatty(STDOUT_FILENO)); }

// Where a command reports: `local` (the console), plus the MigrationJob's status subresource
// when the operator started this runner in a pod (it sets TIDEMARK_JOB_NAME/_NAMESPACE).
std::unique_ptr<status::StatusSink> makeSink(std::unique_ptr<status::StatusSink> local) {
    const char* name = std::getenv("TIDEMARK_JOB_NAME");
    const char* ns = std::getenv("TIDEMARK_JOB_NAMESPACE");
    if (!name || !*name || !ns || !*ns) return local;
    return status::teeSink(status::kubeStatusSink(ns, name), std::move(local));
}

// Records why the run ended in status.lastError and returns the exit status for it.
int fail(status::StatusSink& sink, const std::string& reason, const std::string& message, bool retryable) {
    sink.report("lastError",
                {{"reason", reason}, {"message", message}, {"retryable", retryable}, {"time", status::rfc3339Now()}});
    sink.flush();
    std::cerr << "tidemark-runner: " << message << "\n";
    return retryable ? kExitRetryable : kExitFailed;
}

}  // namespace

Jobs loadJobs(const Options& o) {
    auto spec = api::loadManifest(o.jobFile);
    if (!o.jobId.empty()) spec.instance = o.jobId;
    const auto& names = precheck::itemNames();
    for (std::size_t i = 0; i < spec.precheck.skip.size(); ++i) {
        const auto& s = spec.precheck.skip[i];
        if (std::find(names.begin(), names.end(), s) == names.end())
            throw api::ManifestError(o.jobFile + ": spec.precheck.skip[" + std::to_string(i) + "]: unknown item '" + s +
                                     "'");
    }
    if (!o.sourceId.empty()) spec.forSource(o.sourceId);  // throws naming the job's source ids
    // LOAD DATA LOCAL INFILE stays off here: only the physical writer's own connections turn it
    // on (copy/physical_writer.cpp), so no other target connection can be asked for a local file.
    Jobs jobs;
    for (std::size_t i = 0; i < spec.sources.size(); ++i) {  // the sources' Secrets first, then the target's
        auto one = spec.forSource(spec.sources[i].id);
        const std::string role = spec.severalSources() ? "sources[" + std::to_string(i) + "]" : "source";
        auto source = db::connectOptionsFor(one.source, role, o.secretsDir);
        jobs.push_back({std::move(one), std::move(source), {}});
    }
    const auto target = db::connectOptionsFor(spec.target, "target", o.secretsDir);
    for (auto& job : jobs) job.target = target;
    return jobs;
}

namespace {
// What the target's tidemark_meta says about this job instance, as a precheck item: Failed when
// its recorded progress was made for another type, mode, selection or target
// (meta/job_instance.h). An instance that ran before resumes from its checkpoints, so the items
// about where a new job starts (an empty target for a physical copy, the spec's start position,
// target tables and shards that match the source's definitions: replay brings the DDL the source
// ran since) do not apply to it. Nothing when the target cannot be asked (the precheck's items say why).
void exemptStartItems(precheck::Report& report, const std::string& key);

// Returns true when the instance resumes.
bool checkInstance(const Job& job, precheck::Report& report) {
    meta::InstanceState state;
    try {
        auto target = db::Connection::open(job.target);
        state = meta::inspectInstance(target, job.spec);
    } catch (const db::DbError&) {
        return false;
    }
    const std::string key = job.spec.instanceKey();
    if (!state.change.empty()) {
        report.items.push_back({"job_instance", precheck::State::Failed, state.change,
                                "revert spec.type/fullMode/objects/target/routes to the recorded values, or delete and "
                                "re-create the job (a new instance starts over)"});
        return false;
    }
    if (!state.recorded) {
        report.items.push_back({"job_instance", precheck::State::Pass,
                                "job instance " + key + " is new: it starts from the beginning", ""});
        return false;
    }
    report.items.push_back({"job_instance", precheck::State::Pass,
                            "job instance " + key + " resumes from its checkpoints in tidemark_meta", ""});
    exemptStartItems(report, key);
    return true;
}

// The items of `report` about where a new job starts pass for instance `key`, which resumes.
void exemptStartItems(precheck::Report& report, const std::string& key) {
    for (auto& item : report.items) {
        const bool aboutTheStart = item.name == "physical_target_empty" || item.name == "start_position" ||
            item.name == "target_tables" || item.name == "shard_schemas" || item.name == "source_schemas";
        if (aboutTheStart && item.state != precheck::State::Pass) {
            item.message =
                "resuming job instance " + key + " from its checkpoints, so this does not apply (" + item.message + ")";
            item.state = precheck::State::Pass;
            item.instruction.clear();
        }
    }
}

// The sources --source chose (every one without it).
Jobs chosen(const Jobs& all, const Options& o) {
    Jobs out;
    for (const auto& job : all)
        if (o.sourceId.empty() || job.spec.source.id == o.sourceId) out.push_back(job);
    return out;
}

// The precheck of the chosen sources; for a job of several, each item's message names its source,
// and sources_apart (precheck.h) looks at all of them.
precheck::Report precheckOf(const Jobs& all, const Options& o) {
    const Jobs jobs = chosen(all, o);
    if (!all.front().spec.severalSources()) {
        auto report = precheck::run(jobs.front().spec, jobs.front().source, jobs.front().target);
        checkInstance(jobs.front(), report);
        return report;
    }
    precheck::Report combined;
    bool resumes = false;
    for (const auto& job : jobs) {
        auto report = precheck::run(job.spec, job.source, job.target);
        resumes = checkInstance(job, report) || resumes;
        for (auto& item : report.items) {
            item.message = "source " + job.spec.source.id + ": " + item.message;
            combined.items.push_back(std::move(item));
        }
        for (auto& name : report.skipped)
            if (std::find(combined.skipped.begin(), combined.skipped.end(), name) == combined.skipped.end())
                combined.skipped.push_back(name);
    }
    const auto& skip = all.front().spec.precheck.skip;
    std::vector<precheck::SourceOfJob> sources;
    for (const auto& job : all) sources.emplace_back(job.spec, job.source);
    precheck::Report acrossSources;
    for (auto& item : precheck::checkSources(sources)) {
        if (std::find(skip.begin(), skip.end(), item.name) != skip.end()) combined.skipped.push_back(item.name);
        else acrossSources.items.push_back(std::move(item));
    }
    // The sources' definitions differ while replay brings a change shard by shard.
    if (resumes) exemptStartItems(acrossSources, all.front().spec.jobKey());
    for (auto& item : acrossSources.items) combined.items.push_back(std::move(item));
    return combined;
}

// Runs the precheck and reports its items as status.precheck.
precheck::Report precheckInto(const Jobs& all, const Options& o, status::StatusSink& sink) {
    auto report = precheckOf(all, o);
    sink.report("precheck", precheck::toJson(report));
    sink.flush();
    return report;
}
}  // namespace

int commandPrecheck(const Jobs& all, const Options& o) {
    const auto& spec = all.front().spec;
    auto sink = makeSink(status::nullSink());
    const auto report = precheckInto(all, o, *sink);
    if (jsonOutput(o)) std::cout << precheck::renderJson(report) << std::endl;
    else std::cout << "Precheck of " << spec.name << ":\n" << precheck::renderTable(report) << std::flush;
    return report.mayProceed(spec.precheck.ignoreWarnings) ? kExitOk : kExitFailed;
}

namespace {

// Records the instance and runs the full copy when the job has one (it returns at once when an
// earlier run finished it); returns where replay starts and how.
replay::ReplayOptions startJob(const Job& job, const Options& o, status::StatusSink& sink,
                               const std::atomic<bool>& stop) {
    {
        auto target = db::Connection::open(job.target);
        meta::recordInstance(target, job.spec);
    }
    replay::ReplayOptions replayOptions;
    replayOptions.restartAfterError = o.restart;
    replayOptions.limits.maxTxnBytes = static_cast<std::size_t>(job.spec.targetLimits.transactionBytes);
    replayOptions.limits.maxEntryBytes = static_cast<std::size_t>(job.spec.targetLimits.entryBytes);
    replayOptions.skipDdl.insert(job.spec.ddl.skip.begin(), job.spec.ddl.skip.end());
    if (job.spec.copiesExistingData()) {
        sink.note("full copy of " + job.spec.name + " (" + std::string(api::nameOf(job.spec.fullMode)) + " mode)");
        const auto copied = copy::runFullCopy(job.spec, job.source, job.target, sink, stop);
        sink.flush();
        sink.note("full copy done: " + std::to_string(copied.rows) + " rows" + (copied.resumed ? " (resumed)" : "") +
                  ", snapshot at " + copied.safeUntil.file + ":" + std::to_string(copied.safeUntil.pos));
        replayOptions.start = replay::positionFrom(copied.replayFrom);
        replayOptions.safeUntil = replay::positionFrom(copied.safeUntil);
        replayOptions.tableStarts = replay::TableStarts::from(copied.tableStarts);
    } else if (const auto& start = job.spec.incremental.start) {
        replayOptions.start = replay::Position{start->binlogFile, start->binlogPos, start->gtidSet};
    }
    return replayOptions;
}

// The exception being handled, as status.lastError and an exit status (call inside a catch).
int failureOfRun(status::StatusSink& sink) {
    try {
        throw;
    } catch (const meta::SpecChangedError& e) {
        return fail(sink, "SpecChanged", e.what(), false);
    } catch (const copy::CopyInterrupted&) {
        sink.flush();
        return kExitOk;  // stopped on request; the checkpoint is resumable
    } catch (const copy::CopyError& e) {
        return fail(sink, "FullCopyFailed", e.what(), false);
    } catch (const replay::DuplicateKeyError& e) {
        return fail(sink, "DuplicateKey",
                    std::string(e.what()) + " (restart the job to replace the target's rows with the source's)", false);
    } catch (const replay::FencedOut& e) {
        // Another runner of this job holds it now; this one stops without failing the job, and a
        // restarted runner waits for that one's lease before it takes over.
        return fail(sink, "FencedOut", e.what(), true);
    } catch (const replay::DdlRejectedError& e) {
        sink.report("incremental",
                    {{"failedDdl", {{"position", e.position}, {"statement", e.statement}, {"error", e.error}}}});
        return fail(sink, "DdlRejected",
                    std::string(e.what()) + ". To go on without this statement, add '" + e.position +
                        "' to spec.ddl.skip and set a new spec.restartToken (or, with the CLI, list it in the "
                        "manifest and run again)",
                    false);
    } catch (const replay::ReplayError& e) {
        return fail(sink, "ReplayFailed", e.what(), e.retryable());
    } catch (const db::DbError& e) {
        return fail(sink, std::string(db::nameOf(e.kind())), e.what(), e.retryable());
    } catch (const std::exception& e) {
        return fail(sink, "Failed", e.what(), false);
    }
}

// The cutover's settings: the command line's, else the manifest's spec.cutover.
cutover::CutoverOptions cutoverOptions(const Job& job, const Options& o, replay::ReplayOptions replayOptions) {
    cutover::CutoverOptions c;
    c.stopAt = cutover::parseStopRequest(o.stopAt.empty() ? job.spec.cutover.stopAt : o.stopAt);
    c.quiet = std::chrono::seconds(o.quietSeconds >= 0 ? o.quietSeconds : job.spec.cutover.quietSeconds);
    c.waitTimeout = std::chrono::seconds(o.waitTimeoutSeconds);
    c.replay = std::move(replayOptions);
    return c;
}

int exitFor(const cutover::CutoverReport& report) { return report.safe() ? kExitOk : kExitFailed; }

}  // namespace

namespace {

// One source's run after the precheck: full copy and/or replay until done or `stop`, or, with
// --cutover-at, replay up to there and the cutover (its report in `cutoverReport`). Failures
// are reported to `sink` (status.lastError) and returned as the exit status.
int runSource(const Job& job, const Options& o, status::StatusSink& sink, const std::atomic<bool>& stop,
              std::optional<cutover::CutoverReport>& cutoverReport) {
    try {
        auto replayOptions = startJob(job, o, sink, stop);
        if (!job.spec.replicates() || stop) return kExitOk;
        if (!o.stopAt.empty()) {
            cutoverReport = cutover::runCutover(job.spec, job.source, job.target,
                                                cutoverOptions(job, o, std::move(replayOptions)), sink, stop);
            sink.flush();
            return cutoverReport->interrupted ? kExitOk : exitFor(*cutoverReport);  // stopped on request, like replay
        }
        sink.note("replicating " + job.spec.name + " from the source's binary log");
        std::optional<validate::Validator> validator;  // outlives the replay it watches
        if (job.spec.validation.changedRows || job.spec.validation.fullScan.enabled) {
            auto validation = validate::optionsFor(job.spec);
            validation.replayFrom = replayOptions.start;
            validator.emplace(job.source, job.target, validation, sink);
            replayOptions.onCommitted = validator->hook();
        }
        replay::runReplay(job.spec, job.source, job.target, replayOptions, sink, stop);
        sink.flush();
        return kExitOk;
    } catch (...) {
        return failureOfRun(sink);
    }
}

std::vector<std::string> sourceIds(const Jobs& jobs) {
    std::vector<std::string> ids;
    for (const auto& job : jobs) ids.push_back(job.spec.source.id);
    return ids;
}

// A position names one source's binary log: a job of several sources cuts over at "now".
bool cutoverAtNowOnly(const Jobs& all, const std::string& stopAt) {
    if (!all.front().spec.severalSources() || stopAt.empty() || stopAt == "now") return true;
    std::cerr << "tidemark-runner: job " << all.front().spec.name << " has several sources: a stop position ('"
              << stopAt << "') names one source's binary log; cut over at 'now'\n";
    return false;
}

// Runs `perSource` for each chosen source: directly into `sink` for a job of one source, else at
// once (each_source.h), each into status.sources.<id> with the top-level blocks summed up
// (status/sources_status.h). Returns the exit status and each source's cutover report, if any.
struct SourcesRun {
    int exit = kExitOk;
    std::vector<std::pair<std::string, cutover::CutoverReport>> cutovers;
};
using SourceWork = std::function<int(const Job&, status::StatusSink&, const std::atomic<bool>&,
                                     std::optional<cutover::CutoverReport>&)>;
SourcesRun runSources(const Jobs& jobs, status::StatusSink& sink, const std::atomic<bool>& stop,
                      const SourceWork& perSource) {
    SourcesRun run;
    std::vector<std::optional<cutover::CutoverReport>> reports(jobs.size());
    if (!jobs.front().spec.severalSources()) {
        run.exit = perSource(jobs.front(), sink, stop, reports.front());
    } else {
        status::SourcesStatus sources(sink, sourceIds(jobs));
        run.exit = forEachSource(jobs.size(), stop, [&](std::size_t i, const std::atomic<bool>& stopOne) {
            auto mine = sources.sinkFor(jobs[i].spec.source.id);
            return perSource(jobs[i], *mine, stopOne, reports[i]);
        });
    }
    for (std::size_t i = 0; i < jobs.size(); ++i)
        if (reports[i]) run.cutovers.emplace_back(jobs[i].spec.source.id, std::move(*reports[i]));
    return run;
}

// The cutover of every source as one report (the report itself for one source), also reported
// as the top-level status.cutover of a job of several sources.
cutover::CutoverReport cutoverOfAll(const SourcesRun& run, const Jobs& jobs, status::StatusSink& sink) {
    if (!jobs.front().spec.severalSources())
        return run.cutovers.empty() ? cutover::CutoverReport{} : run.cutovers.front().second;
    auto all = cutover::combineSources(run.cutovers);
    if (run.cutovers.size() < jobs.size()) {
        all.state = cutover::Phase::Unsafe;
        all.reasons.push_back("not every source finished its cutover (status.sources says why)");
    }
    sink.report(api::contract::kBlockCutover, cutover::toJson(all));
    sink.flush();
    return all;
}

void printCutover(const SourcesRun& run, const cutover::CutoverReport& all, const std::string& name, std::ostream& out,
                  bool several) {
    if (several)
        for (const auto& [id, report] : run.cutovers)
            out << "Cutover of " << name << ", source " << id << ": " << cutover::renderTable(report) << "\n";
    out << "Cutover of " << name << (several ? " (all sources)" : "") << ": " << cutover::renderTable(all)
        << std::flush;
}

}  // namespace

int commandRun(const Jobs& all, const Options& o, const std::atomic<bool>& stop) {
    const auto& spec = all.front().spec;
    if (!cutoverAtNowOnly(all, o.stopAt)) return kExitBadInput;
    auto sink = makeSink(status::defaultSink());
    if (!o.metricsAddr.empty()) {
        // Metrics are for watching the job, not part of it: a port in use costs the metrics only.
        // The metrics sink is made before `sink` is handed over: when it throws, `sink` stays.
        try {
            auto metrics = std::make_unique<status::MetricsSink>(o.metricsAddr, spec.namespace_, spec.name);
            sink = status::teeSink(std::move(metrics), std::move(sink));
        } catch (const std::exception& e) {
            sink->note(std::string("metrics are off: ") + e.what());
        }
    }
    if (!o.skipPrecheck) {
        const auto report = precheckInto(all, o, *sink);
        std::cerr << "Precheck of " << spec.name << ":\n" << precheck::renderTable(report) << std::flush;
        if (!report.mayProceed(spec.precheck.ignoreWarnings))
            return fail(*sink, "PrecheckFailed",
                        report.count(precheck::State::Failed) > 0
                            ? "the precheck failed; fix the Failed items and run again"
                            : "the precheck has warnings; fix them or set spec.precheck.ignoreWarnings",
                        false);
    }
    const Jobs jobs = chosen(all, o);
    const auto run = runSources(
        jobs, *sink, stop,
        [&](const Job& job, status::StatusSink& mine, const std::atomic<bool>& stopOne,
            std::optional<cutover::CutoverReport>& report) { return runSource(job, o, mine, stopOne, report); });
    sink->flush();
    if (o.stopAt.empty() || run.cutovers.empty()) return run.exit;
    const auto report = cutoverOfAll(run, jobs, *sink);
    printCutover(run, report, spec.name, std::cerr, spec.severalSources());
    if (run.exit != kExitOk) return run.exit;
    return report.interrupted ? kExitOk : exitFor(report);
}

int commandCutover(const Jobs& all, const Options& o, const std::atomic<bool>& stop) {
    const auto& spec = all.front().spec;
    // The report is the output; progress only on a terminal (and in the job's status in a pod).
    auto sink = makeSink(isatty(STDERR_FILENO) ? status::terminalSink() : status::nullSink());
    if (!spec.replicates()) {
        std::cerr << "tidemark-runner: job " << spec.name
                  << " is of type Full: it does not replicate, so there is nothing to cut over (use verify)\n";
        return kExitBadInput;
    }
    if (!cutoverAtNowOnly(all, o.stopAt)) return kExitBadInput;
    const Jobs jobs = chosen(all, o);
    const auto run = runSources(jobs, *sink, stop,
                                [&](const Job& job, status::StatusSink& mine, const std::atomic<bool>& stopOne,
                                    std::optional<cutover::CutoverReport>& report) -> int {
                                    try {
                                        auto replayOptions = startJob(job, o, mine, stopOne);
                                        if (stopOne) return kExitFailed;
                                        report = cutover::runCutover(job.spec, job.source, job.target,
                                                                     cutoverOptions(job, o, std::move(replayOptions)),
                                                                     mine, stopOne);
                                        mine.flush();
                                        return exitFor(*report);
                                    } catch (...) {
                                        return failureOfRun(mine);
                                    }
                                });
    if (run.cutovers.empty()) return run.exit == kExitOk ? kExitFailed : run.exit;
    const auto report = cutoverOfAll(run, jobs, *sink);
    if (jsonOutput(o)) {
        std::cout << cutover::renderJson(report) << std::endl;
    } else {
        printCutover(run, report, spec.name, std::cout, spec.severalSources());
    }
    if (run.exit != kExitOk && run.exit != kExitFailed) return run.exit;  // a server unreachable: say so
    return exitFor(report);
}

namespace {

// The target tables a source's selected tables are written to (routed).
std::set<consolidate::TableName> targetTablesOf(const Job& job) {
    auto server = db::Connection::open(job.source);
    api::MigrationJob named = job.spec;
    named.objects = db::withNameRuleOf(server, job.spec.objects);
    const consolidate::Router router(named);
    std::set<consolidate::TableName> out;
    for (const auto& [d, t] : db::selectedTables(server, named.objects)) {
        const auto r = router.route(d, t);
        out.insert({r.database, r.table});
    }
    return out;
}

// Verifies each chosen source; for a job of several, a target table another source writes is
// not "on the target but not on the source", and each difference names its source.
copy::VerifyResult verifyAll(const Jobs& all, const Options& o, status::StatusSink& sink) {
    const Jobs jobs = chosen(all, o);
    if (!all.front().spec.severalSources())
        return copy::verify(jobs.front().spec, jobs.front().source, jobs.front().target, sink);
    std::map<std::string, std::set<consolidate::TableName>> written;  // source id -> target tables
    for (const auto& job : all) written[job.spec.source.id] = targetTablesOf(job);
    copy::VerifyResult combined;
    combined.identical = true;
    for (const auto& job : jobs) {
        auto result = copy::verify(job.spec, job.source, job.target, sink);
        combined.rowsCompared += result.rowsCompared;
        for (auto& d : result.differences) {
            bool elsewhere = false;
            for (const auto& [id, tables] : written)
                elsewhere = elsewhere || (id != job.spec.source.id && tables.count({d.database, d.table}));
            if (elsewhere && d.problem == copy::kOnlyOnTarget) continue;
            std::string& said = d.problem.empty() ? d.summary : d.problem;  // a chunk's, or the whole table's
            said = "source " + job.spec.source.id + ": " + said;
            combined.differences.push_back(std::move(d));
        }
    }
    combined.identical = combined.differences.empty();
    return combined;
}

}  // namespace

int commandVerify(const Jobs& all, const Options& o) {
    // The comparison's result is the output; progress only on a terminal.
    auto sink = isatty(STDERR_FILENO) ? status::terminalSink() : status::nullSink();
    const auto result = verifyAll(all, o, *sink);
    sink->flush();
    if (jsonOutput(o)) {
        nlohmann::json lines = nlohmann::json::array();
        for (const auto& d : result.differences) lines.push_back(d.text());
        std::cout << nlohmann::json{{"identical", result.identical},
                                    {"rowsCompared", result.rowsCompared},
                                    {"differences", lines}}
                         .dump(2)
                  << std::endl;
    } else {
        for (const auto& d : result.differences) std::cout << "DIFFERS  " << d.text() << "\n";
        std::cout << (result.identical ? "source and target match: " : "source and target differ: ")
                  << result.rowsCompared << " rows compared, " << result.differences.size() << " differences\n";
    }
    return result.identical ? kExitOk : kExitFailed;
}

int commandForget(const Jobs& all, const Options& o) {
    const auto& spec = all.front().spec;
    std::vector<std::string> keys;
    for (const auto& job : chosen(all, o)) keys.push_back(job.spec.instanceKey());
    // What the sources of a job share (shard DDL coordination) goes with the last of them.
    if (spec.severalSources() && o.sourceId.empty()) keys.push_back(spec.jobKey());
    std::string shown;
    for (const auto& key : keys) shown += (shown.empty() ? "" : ", ") + key;
    std::map<std::string, std::uint64_t> deleted;
    try {
        auto target = db::Connection::open(all.front().target);
        for (const auto& key : keys)
            for (const auto& [table, rows] : meta::forgetInstance(target, key)) deleted[table] += rows;
    } catch (const db::DbError& e) {
        // In a pod (the operator's cleanup on deletion) the job's status says why.
        auto sink = makeSink(status::nullSink());
        return fail(*sink, "CleanupFailed", "forgetting job instance " + shown + ": " + e.what(), e.retryable());
    }
    std::uint64_t total = 0;
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& [table, rows] : deleted) {
        total += rows;
        tables[table] = rows;
    }
    if (jsonOutput(o)) {
        std::cout << nlohmann::json{{"instance", shown}, {"rowsDeleted", total}, {"tables", tables}}.dump()
                  << std::endl;
    } else {
        std::cout << "forgot job instance " << shown << ": " << total << " rows deleted from tidemark_meta";
        for (const auto& [table, rows] : deleted)
            std::cout << (table == deleted.begin()->first ? " (" : ", ") << table << " " << rows;
        std::cout << (deleted.empty() ? "\n" : ")\n");
    }
    return kExitOk;
}

}  // namespace tidemark::cli
