#include "runner/cutover/cutover.h"

#include "api/runner_contract.h"
#include "runner/copy/full_copy.h"
#include "runner/cutover/switch_checks.h"
#include "runner/replay/checkpoint.h"
#include "runner/replay/errors.h"
#include "runner/replay/stream_order.h"

#include <nlohmann/json.hpp>

namespace tidemark::cutover {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kBlock = api::contract::kBlockCutover;

// copy::verify's progress (its `verify` block) as status.cutover.rowsCompared; notes pass through.
class ValidationProgress : public status::StatusSink {
public:
    explicit ValidationProgress(status::StatusSink& sink) : sink_(sink) {}
    void report(std::string_view block, const nlohmann::json& fields) override {
        if (block == "verify" && fields.contains("rowsCompared"))
            sink_.report(kBlock, {{"rowsCompared", fields["rowsCompared"]}});
    }
    void note(std::string_view message) override { sink_.note(message); }
    void flush() override { sink_.flush(); }

private:
    status::StatusSink& sink_;
};

// One cutover in progress: the report it fills and where it publishes it.
class Run {
public:
    Run(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target,
        const CutoverOptions& options, status::StatusSink& sink, const std::atomic<bool>& stop)
        : job_(job), source_(source), target_(target), options_(options), sink_(sink), stop_(stop) {
        report_.stopAt = options.stopAt.text();
        report_.startedAt = status::rfc3339Now();
    }

    CutoverReport run() {
        enter(Phase::Waiting,
              "waiting for the source's writes to stop (binary log still for " +
                  std::to_string(options_.quiet.count()) + " s, up to " + std::to_string(options_.waitTimeout.count()) +
                  " s)");
        auto writes = waitForWrites();
        if (!writes) return finish();
        if (!resolveStopPosition(*writes->at)) return finish();
        enter(Phase::CatchingUp, "replaying up to " + describe(report_.stopPosition));
        const std::string refusedDdl = catchUp();
        if (stop_.load()) {
            report_.appliedPosition = appliedPosition();
            return interrupted("while replay was catching up");
        }
        // runReplay returns normally only once everything up to the stop position is applied
        // (replay.h stopAt). Its checkpoint may stand before that position when the last events
        // changed nothing selected (another schema, a non-row event), so it is not asked then.
        report_.appliedPosition = refusedDdl.empty() ? std::optional(report_.stopPosition) : appliedPosition();
        enter(Phase::Validating, "comparing every selected table, source against target, row for row");
        validate();
        evaluateChecks(*writes, refusedDdl);
        return finish();
    }

private:
    static std::string describe(const replay::Position& p) {
        return p.known() ? p.text() + (p.gtidSet.empty() ? "" : " (GTID set " + p.gtidSet + ")")
                         : "GTID set " + p.gtidSet;
    }

    void publish() {
        sink_.report(kBlock, toJson(report_));
        sink_.flush();
    }

    void enter(Phase phase, const std::string& what) {
        report_.state = phase;
        publish();
        sink_.note("cutover: " + what);
    }

    std::optional<WritesStopped> waitForWrites() {
        auto source = db::Connection::open(source_);
        auto writes = waitForWritesToStop(source, options_.quiet, options_.waitTimeout, stop_);
        if (writes.at) {
            sink_.note("cutover: " + writes.item.message);
            return writes;
        }
        report_.checks.push_back(writes.item);
        if (stop_.load()) markInterrupted("while waiting for the source's writes to stop");
        else report_.reasons.push_back(writes.item.name + ": " + writes.item.message);
        return std::nullopt;
    }

    // The stop position: the source's once quiet ("now"), or the one asked for, which the source
    // must have reached (replay would wait for it forever otherwise).
    bool resolveStopPosition(const replay::Position& sourceAt) {
        const auto& request = options_.stopAt;
        if (request.kind == StopRequest::Kind::Now) {
            report_.stopPosition = sourceAt;
            return true;
        }
        report_.stopPosition = request.position;
        const bool reached = request.kind == StopRequest::Kind::GtidSet
            ? replay::compareGtidSets(request.position, sourceAt).value_or(1) <= 0
            : replay::compareStreamPositions(request.position, sourceAt) <= 0;
        if (!reached)
            report_.reasons.push_back("the stop position " + request.text() + " is past the source's position " +
                                      describe(sourceAt) +
                                      " now that its writes have stopped: replay would never reach it");
        return reached;
    }

    // Replays up to the stop position; returns the DDL the target refused on the way ("" when none).
    std::string catchUp() {
        auto options = options_.replay;
        options.stopAt = report_.stopPosition;
        try {
            replay::runReplay(job_, source_, target_, options, sink_, stop_);
        } catch (const replay::DdlRejectedError& e) {
            sink_.report(api::contract::kBlockIncremental,
                         {{"failedDdl", {{"position", e.position}, {"statement", e.statement}, {"error", e.error}}}});
            return "at " + e.position + ": " + e.statement + " (" + e.error + ")";
        } catch (const std::exception& e) {
            report_.reasons.push_back(std::string("replay failed before the stop position: ") + e.what());
            finish();
            throw;
        }
        return "";
    }

    std::optional<replay::Position> appliedPosition() {
        auto target = db::Connection::open(target_);
        std::optional<replay::ResumePoint> point;
        try {
            point = replay::CheckpointStore(job_.instanceKey()).load(target);
        } catch (const db::DbError& e) {
            if (e.kind() != db::ErrorKind::Query) throw;  // no checkpoint table: replay never ran
        }
        // Replay checkpoints nothing when it started at the stop position with nothing to apply
        // (a cutover right after the copy): the target then stands where it started.
        if (!point) return options_.replay.start;
        return point->complete() ? point->end : point->start;
    }

    void validate() {
        ValidationProgress progress(sink_);
        const auto verified = copy::verify(job_, source_, target_, progress);
        report_.rowsCompared = verified.rowsCompared;
        report_.differences = locateDifferences(source_, target_, verified, options_.maxDifferences);
        if (verified.identical) return;
        std::string first;
        if (!report_.differences.empty()) {
            const auto& d = report_.differences.front();
            first = "; first: " + d.table + (d.key.empty() ? "" : " " + d.key) + " " + d.problem;
        }
        report_.reasons.push_back("the target differs from the source in " +
                                  std::to_string(verified.differences.size()) + " key range(s)" + first);
    }

    void evaluateChecks(const WritesStopped& writes, const std::string& refusedDdl) {
        auto source = db::Connection::open(source_);
        auto target = db::Connection::open(target_);
        report_.checks = {checkWritesStillStopped(source, writes),
                          checkReplayCaughtUp(report_.appliedPosition, report_.stopPosition),
                          checkAutoIncrement(job_, source, target), checkNoDdlPending(job_, source, refusedDdl)};
        for (const auto& item : report_.checks)
            if (item.state == precheck::State::Failed) report_.reasons.push_back(item.name + ": " + item.message);
    }

    void markInterrupted(const std::string& when) {
        report_.interrupted = true;
        report_.reasons.push_back("the cutover was interrupted " + when);
    }

    CutoverReport interrupted(const std::string& when) {
        markInterrupted(when);
        return finish();
    }

    CutoverReport finish() {
        report_.state = report_.reasons.empty() && !report_.interrupted ? Phase::Safe : Phase::Unsafe;
        report_.finishedAt = status::rfc3339Now();
        report_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
        publish();
        sink_.note(report_.safe() ? "cutover: SAFE to switch: the target holds what the source held at " +
                           describe(report_.stopPosition)
                                  : "cutover: NOT safe to switch: " + report_.reasons.front());
        return report_;
    }

    const api::MigrationJob& job_;
    const db::ConnectOptions& source_;
    const db::ConnectOptions& target_;
    const CutoverOptions& options_;
    status::StatusSink& sink_;
    const std::atomic<bool>& stop_;
    CutoverReport report_;
    const Clock::time_point started_ = Clock::now();
};

}  // namespace

CutoverReport runCutover(const api::MigrationJob& job, const db::ConnectOptions& source,
                         const db::ConnectOptions& target, const CutoverOptions& options, status::StatusSink& sink,
                         const std::atomic<bool>& stop) {
    return Run(job, source, target, options, sink, stop).run();
}

}  // namespace tidemark::cutover
