// The DDL part of replay: each statement of the stream that is not DML (txn_assembler.h's
// DdlSteps) is skipped, or run on the target as a batch of its own and checkpointed, after which
// the schema tracker holds the definitions as of that point of the stream.
//
// Contracts:
//  - Skipped without touching the target: statements that are not migrated (users, grants,
//    routines, triggers, events, views: with a note), statements outside the selection, and DDL
//    of tables the full copy created after it (table_starts.h).
//  - Otherwise the batches before it commit first (Batcher::ddlBatch), then it runs on the target
//    (translated: ddl.h), or is only checkpointed when its end position is in
//    ReplayOptions::skipDdl (reported in status.incremental.skippedDdl), or nothing runs when the
//    rebuilt batch's checkpoint says it ran. While it runs, progress counts it as pending.
//  - spec.filters may ignore it (counted in incremental.filtered) or stop on it (ReplayError).
//  - With spec.routes, it names the routed tables (ddl.h); a statement about a table merged with
//    others (a shard) runs, runs once for all shards, is replaced, skipped or refused as
//    shard_ddl.h says (spec.shardDdl.mode Optimistic); a refused one fails like a DDL the target
//    rejects (DdlRejectedError, so status.incremental.failedDdl names it) until spec.ddl.skip
//    lists its position. In Pessimistic mode (shard_ddl_locks.h) a change of a shard's definition
//    (ALTER TABLE, CREATE/DROP INDEX) waits: it is recorded as the shard's next step, checkpointed
//    in the same transaction, and the shard's later rows are held (held_rows.h); the shard that
//    completes the step runs it on the merged table once, then releases the held rows of that
//    step with its checkpoint. A different statement at the same step is a DdlRejectedError
//    naming both shards; listing a shard's statement in spec.ddl.skip makes it count as that
//    shard's issue of the change the others issued (and, when it is the last, the change is not
//    run: the user ran it). A TRUNCATE of a shard whose rows are held is held with them.
//  - Afterwards the tables it names are re-read from the target (their source engine from its
//    ENGINE clause); dropped ones are forgotten.
//  - Errors: DdlRejectedError when the target refuses it (applier.h), ReplayError when it does not
//    match the batch being rebuilt, db::DbError from the target.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/migration_job.h"
#include "runner/consolidate/event_filter.h"
#include "runner/consolidate/router.h"
#include "runner/db/connection.h"
#include "runner/replay/applier.h"
#include "runner/replay/batcher.h"
#include "runner/replay/ddl.h"
#include "runner/replay/progress.h"
#include "runner/replay/replay.h"
#include "runner/replay/schema_tracker.h"
#include "runner/replay/shard_ddl.h"
#include "runner/replay/shard_ddl_locks.h"
#include "runner/replay/shard_shadows.h"
#include "runner/replay/txn_assembler.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

class DdlRunner final : public DdlSteps {
public:
    // `target`: the connection table definitions are re-read on. All references must outlive this.
    // `job`: its objects (with the source's name rule), routes and filters. `locks`: the
    // pessimistic shard DDL state (loaded, its tables there), null in Optimistic mode.
    DdlRunner(const api::MigrationJob& job, const ReplayOptions& options, status::StatusSink& sink, Progress& progress,
              SchemaTracker& tracker, ShardShadows& shadows, db::Connection& target, Applier& applier, Batcher& batcher,
              ShardDdlLocks* locks = nullptr);
    DdlRunner(const DdlRunner&) = delete;
    DdlRunner& operator=(const DdlRunner&) = delete;

    bool ddl(const SourceStatement& statement) override;

private:
    void skipByRequest(const Batch& b, const std::string& head);
    // The DDL batch of `s` (Batcher::ddlBatch), carrying `statement` for the target.
    DdlBatch openDdlBatch(const Ddl& ddl, const SourceStatement& s, const std::string& statement);
    // False when spec.filters ignores the statement (counted); throws when a rule stops on it.
    bool passesFilters(const Ddl& ddl, const SourceStatement& s);
    // The shard plan when the statement names a table merged with others, else nothing.
    std::optional<ShardDdlPlan> shardPlan(const Ddl& ddl, const SourceStatement& s) const;
    void refreshTracker(const Ddl& ddl, const std::string& statement);

    // Pessimistic shard DDL.
    uint64_t stepOf(const consolidate::TableName& shard, const consolidate::TableName& merged) const;
    // Whether the shard's statement waits for the other shards instead of running now.
    bool waitsForShards(const Ddl& ddl, const ShardDdlPlan& plan) const;
    // Records or completes the shard's step; returns what ddl() returns. `skipListed`: spec.ddl.skip
    // lists the statement: it counts as the shard's issue whatever it says, and is not run.
    bool coordinate(const Ddl& ddl, const SourceStatement& s, const std::string& statement, const ShardDdlPlan& plan,
                    bool skipListed);
    void completeStep(const Batch& b, const SourceStatement& s, const consolidate::TableName& merged, uint64_t step,
                      bool skipListed);
    void awaitShards(const Batch& b, const consolidate::TableName& merged, uint64_t step, const ShardIssue& issue);
    // What the target says of change `step` of a merged table (read under its lock).
    struct StepState {
        uint64_t applied = 0;               // the merged table's applied step
        std::vector<ShardIssue> issued;     // the shards that issued `step`
        std::vector<ShardMember> members;   // every shard of the merged table
        bool everySourceRegistered = true;  // the job's other sources' shards are known
    };
    // Inside a transaction on `c`, locking the merged table's coordination row.
    StepState readStep(db::Connection& c, const consolidate::TableName& merged, uint64_t step) const;
    // The same in a transaction of its own on the DDL runner's connection that changes nothing.
    StepState peekStep(const consolidate::TableName& merged, uint64_t step);
    // Throws DdlRejectedError when a shard issued another statement than `issue` at `step`.
    void checkSameChange(const std::vector<ShardIssue>& issued, const ShardIssue& issue,
                         const consolidate::TableName& merged, uint64_t step) const;
    // Whether the shards that issued the step plus `issue` are every shard of the merged table.
    bool completes(const StepState& state, const ShardIssue& issue) const;
    // A TRUNCATE of a shard whose rows are held: its DELETE is held with them.
    bool holdReplace(const SourceStatement& s, const Ddl& ddl, const ShardDdlPlan& plan);

    struct Skipped {
        std::string position, statement, time;
    };

    const api::ObjectSelection& objects_;
    consolidate::Router router_;
    consolidate::EventFilters filters_;
    const ReplayOptions& options_;
    status::StatusSink& sink_;
    Progress& progress_;
    SchemaTracker& tracker_;
    ShardShadows& shadows_;
    db::Connection& target_;
    Applier& applier_;
    Batcher& batcher_;
    ShardDdlLocks* locks_;
    std::string instanceKey_;
    std::vector<Skipped> skipped_;  // this run's spec.ddl.skip entries, for the status
    // After a shard's DDL: status.incremental.shardDdl lists each merged table whose shards' own
    // definitions (shard_shadows.h) differ, grouping the shards by definition, so the user sees
    // which shards have issued a change and which have not (none listed: all agree); in
    // Pessimistic mode also its pending steps (statement, shards that issued it, shards waited
    // for) and how many row statements are held.
    void reportShardDefinitions();
    nlohmann::json pendingSteps(const consolidate::TableName& merged,
                                const std::vector<consolidate::TableName>& shards);
};

}  // namespace tidemark::replay
