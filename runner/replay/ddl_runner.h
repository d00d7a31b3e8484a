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
//    shard_ddl.h says; a refused one fails like a DDL the target rejects (DdlRejectedError, so
//    status.incremental.failedDdl names it) until spec.ddl.skip lists its position.
//  - Afterwards the tables it names are re-read from the target (their source engine from its
//    ENGINE clause); dropped ones are forgotten.
//  - Errors: DdlRejectedError when the target refuses it (applier.h), ReplayError when it does not
//    match the batch being rebuilt, db::DbError from the target.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

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
#include "runner/replay/shard_shadows.h"
#include "runner/replay/txn_assembler.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

class DdlRunner final : public DdlSteps {
public:
    // `target`: the connection table definitions are re-read on. All references must outlive this.
    // `job`: its objects (with the source's name rule), routes and filters.
    DdlRunner(const api::MigrationJob& job, const ReplayOptions& options, status::StatusSink& sink, Progress& progress,
              SchemaTracker& tracker, ShardShadows& shadows, db::Connection& target, Applier& applier,
              Batcher& batcher);
    DdlRunner(const DdlRunner&) = delete;
    DdlRunner& operator=(const DdlRunner&) = delete;

    bool ddl(const SourceStatement& statement) override;

private:
    void skipByRequest(const Batch& b, const std::string& head);
    // False when spec.filters ignores the statement (counted); throws when a rule stops on it.
    bool passesFilters(const Ddl& ddl, const SourceStatement& s);
    // The shard plan when the statement names a table merged with others, else nothing.
    std::optional<ShardDdlPlan> shardPlan(const Ddl& ddl, const SourceStatement& s) const;
    void refreshTracker(const Ddl& ddl, const std::string& statement);

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
    std::vector<Skipped> skipped_;  // this run's spec.ddl.skip entries, for the status
    // After a shard's DDL: status.incremental.shardDdl lists each merged table whose shards' own
    // definitions (shard_shadows.h) differ, grouping the shards by definition, so the user sees
    // which shards have issued a change and which have not (none listed: all agree).
    void reportShardDefinitions();
};

}  // namespace tidemark::replay
