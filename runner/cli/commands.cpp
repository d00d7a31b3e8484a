#include "runner/cli/commands.h"

#include "runner/copy/full_copy.h"
#include "runner/cutover/cutover.h"
#include "runner/db/credentials.h"
#include "runner/kube_status/kube_status_sink.h"
#include "runner/meta/job_instance.h"
#include "runner/precheck/precheck.h"
#include "runner/replay/errors.h"
#include "runner/replay/fence.h"
#include "runner/replay/replay.h"
#include "runner/status/metrics_sink.h"
#include "runner/status/status_sink.h"
#include "runner/validate/validator.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>

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

Job loadJob(const Options& o) {
    Job job{api::loadManifest(o.jobFile), {}, {}};
    if (!o.jobId.empty()) job.spec.instance = o.jobId;
    const auto& names = precheck::itemNames();
    for (std::size_t i = 0; i < job.spec.precheck.skip.size(); ++i) {
        const auto& s = job.spec.precheck.skip[i];
        if (std::find(names.begin(), names.end(), s) == names.end())
            throw api::ManifestError(o.jobFile + ": spec.precheck.skip[" + std::to_string(i) + "]: unknown item '" + s +
                                     "'");
    }
    job.source = db::connectOptionsFor(job.spec.source, "source", o.secretsDir);
    job.target = db::connectOptionsFor(job.spec.target, "target", o.secretsDir);
    // LOAD DATA LOCAL INFILE stays off here: only the physical writer's own connections turn it
    // on (copy/physical_writer.cpp), so no other target connection can be asked for a local file.
    return job;
}

namespace {
// What the target's tidemark_meta says about this job instance, as a precheck item: Failed when
// its recorded progress was made for another type, mode, selection or target
// (meta/job_instance.h). An instance that ran before resumes from its checkpoints, so the items
// about where a new job starts (an empty target for a physical copy, the spec's start position,
// target tables and shards that match the source's definitions: replay brings the DDL the source
// ran since) do not apply to it. Nothing when the target cannot be asked (the precheck's items say why).
void checkInstance(const Job& job, precheck::Report& report) {
    meta::InstanceState state;
    try {
        auto target = db::Connection::open(job.target);
        state = meta::inspectInstance(target, job.spec);
    } catch (const db::DbError&) {
        return;
    }
    const std::string key = job.spec.instanceKey();
    if (!state.change.empty()) {
        report.items.push_back({"job_instance", precheck::State::Failed, state.change,
                                "revert spec.type/fullMode/objects/target/routes to the recorded values, or delete and "
                                "re-create the job (a new instance starts over)"});
        return;
    }
    if (!state.recorded) {
        report.items.push_back({"job_instance", precheck::State::Pass,
                                "job instance " + key + " is new: it starts from the beginning", ""});
        return;
    }
    report.items.push_back({"job_instance", precheck::State::Pass,
                            "job instance " + key + " resumes from its checkpoints in tidemark_meta", ""});
    for (auto& item : report.items) {
        const bool aboutTheStart = item.name == "physical_target_empty" || item.name == "start_position" ||
            item.name == "target_tables" || item.name == "shard_schemas";
        if (aboutTheStart && item.state != precheck::State::Pass) {
            item.message =
                "resuming job instance " + key + " from its checkpoints, so this does not apply (" + item.message + ")";
            item.state = precheck::State::Pass;
            item.instruction.clear();
        }
    }
}

// Runs the precheck and reports its items as status.precheck.
precheck::Report precheckInto(const Job& job, status::StatusSink& sink) {
    auto report = precheck::run(job.spec, job.source, job.target);
    checkInstance(job, report);
    sink.report("precheck", precheck::toJson(report));
    sink.flush();
    return report;
}
}  // namespace

int commandPrecheck(const Job& job, const Options& o) {
    auto sink = makeSink(status::nullSink());
    const auto report = precheckInto(job, *sink);
    if (jsonOutput(o)) std::cout << precheck::renderJson(report) << std::endl;
    else std::cout << "Precheck of " << job.spec.name << ":\n" << precheck::renderTable(report) << std::flush;
    return report.mayProceed(job.spec.precheck.ignoreWarnings) ? kExitOk : kExitFailed;
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

int commandRun(const Job& job, const Options& o, const std::atomic<bool>& stop) {
    auto sink = makeSink(status::defaultSink());
    if (!o.metricsAddr.empty()) {
        // Metrics are for watching the job, not part of it: a port in use costs the metrics only.
        // The metrics sink is made before `sink` is handed over: when it throws, `sink` stays.
        try {
            auto metrics = std::make_unique<status::MetricsSink>(o.metricsAddr, job.spec.namespace_, job.spec.name);
            sink = status::teeSink(std::move(metrics), std::move(sink));
        } catch (const std::exception& e) {
            sink->note(std::string("metrics are off: ") + e.what());
        }
    }
    if (!o.skipPrecheck) {
        const auto report = precheckInto(job, *sink);
        std::cerr << "Precheck of " << job.spec.name << ":\n" << precheck::renderTable(report) << std::flush;
        if (!report.mayProceed(job.spec.precheck.ignoreWarnings))
            return fail(*sink, "PrecheckFailed",
                        report.count(precheck::State::Failed) > 0
                            ? "the precheck failed; fix the Failed items and run again"
                            : "the precheck has warnings; fix them or set spec.precheck.ignoreWarnings",
                        false);
    }
    try {
        auto replayOptions = startJob(job, o, *sink, stop);
        if (!job.spec.replicates() || stop) return kExitOk;
        if (!o.stopAt.empty()) {
            const auto report = cutover::runCutover(job.spec, job.source, job.target,
                                                    cutoverOptions(job, o, std::move(replayOptions)), *sink, stop);
            sink->flush();
            std::cerr << "Cutover of " << job.spec.name << ": " << cutover::renderTable(report) << std::flush;
            return report.interrupted ? kExitOk : exitFor(report);  // stopped on request, like replay
        }
        sink->note("replicating " + job.spec.name + " from the source's binary log");
        std::optional<validate::Validator> validator;  // outlives the replay it watches
        if (job.spec.validation.changedRows || job.spec.validation.fullScan.enabled) {
            auto validation = validate::optionsFor(job.spec);
            validation.replayFrom = replayOptions.start;
            validator.emplace(job.source, job.target, validation, *sink);
            replayOptions.onCommitted = validator->hook();
        }
        replay::runReplay(job.spec, job.source, job.target, replayOptions, *sink, stop);
        sink->flush();
        return kExitOk;
    } catch (...) {
        return failureOfRun(*sink);
    }
}

int commandCutover(const Job& job, const Options& o, const std::atomic<bool>& stop) {
    // The report is the output; progress only on a terminal (and in the job's status in a pod).
    auto sink = makeSink(isatty(STDERR_FILENO) ? status::terminalSink() : status::nullSink());
    if (!job.spec.replicates()) {
        std::cerr << "tidemark-runner: job " << job.spec.name
                  << " is of type Full: it does not replicate, so there is nothing to cut over (use verify)\n";
        return kExitBadInput;
    }
    cutover::CutoverReport report;
    try {
        auto replayOptions = startJob(job, o, *sink, stop);
        if (stop) return kExitFailed;
        report = cutover::runCutover(job.spec, job.source, job.target, cutoverOptions(job, o, std::move(replayOptions)),
                                     *sink, stop);
        sink->flush();
    } catch (...) {
        return failureOfRun(*sink);
    }
    if (jsonOutput(o)) std::cout << cutover::renderJson(report) << std::endl;
    else std::cout << "Cutover of " << job.spec.name << ": " << cutover::renderTable(report) << std::flush;
    return exitFor(report);
}

int commandVerify(const Job& job, const Options& o) {
    // The comparison's result is the output; progress only on a terminal.
    auto sink = isatty(STDERR_FILENO) ? status::terminalSink() : status::nullSink();
    const auto result = copy::verify(job.spec, job.source, job.target, *sink);
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

int commandForget(const Job& job, const Options& o) {
    const std::string key = job.spec.instanceKey();
    std::map<std::string, std::uint64_t> deleted;
    try {
        auto target = db::Connection::open(job.target);
        deleted = meta::forgetInstance(target, key);
    } catch (const db::DbError& e) {
        // In a pod (the operator's cleanup on deletion) the job's status says why.
        auto sink = makeSink(status::nullSink());
        return fail(*sink, "CleanupFailed", "forgetting job instance " + key + ": " + e.what(), e.retryable());
    }
    std::uint64_t total = 0;
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& [table, rows] : deleted) {
        total += rows;
        tables[table] = rows;
    }
    if (jsonOutput(o)) {
        std::cout << nlohmann::json{{"instance", key}, {"rowsDeleted", total}, {"tables", tables}}.dump() << std::endl;
    } else {
        std::cout << "forgot job instance " << key << ": " << total << " rows deleted from tidemark_meta";
        for (const auto& [table, rows] : deleted)
            std::cout << (table == deleted.begin()->first ? " (" : ", ") << table << " " << rows;
        std::cout << (deleted.empty() ? "\n" : ")\n");
    }
    return kExitOk;
}

}  // namespace tidemark::cli
