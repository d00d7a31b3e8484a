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
//  - Afterwards the tables it names are re-read from the target (their source engine from its
//    ENGINE clause); dropped ones are forgotten.
//  - Errors: DdlRejectedError when the target refuses it (applier.h), ReplayError when it does not
//    match the batch being rebuilt, db::DbError from the target.
#pragma once

#include <string>
#include <vector>

#include "api/migration_job.h"
#include "runner/db/connection.h"
#include "runner/replay/applier.h"
#include "runner/replay/batcher.h"
#include "runner/replay/ddl.h"
#include "runner/replay/progress.h"
#include "runner/replay/replay.h"
#include "runner/replay/schema_tracker.h"
#include "runner/replay/txn_assembler.h"
#include "runner/status/status_sink.h"

namespace tidemark::replay {

class DdlRunner final : public DdlSteps {
public:
    // `target`: the connection table definitions are re-read on. All references must outlive this.
    DdlRunner(const api::ObjectSelection& objects, const ReplayOptions& options, status::StatusSink& sink,
              Progress& progress, SchemaTracker& tracker, db::Connection& target, Applier& applier, Batcher& batcher);
    DdlRunner(const DdlRunner&) = delete;
    DdlRunner& operator=(const DdlRunner&) = delete;

    bool ddl(const SourceStatement& statement) override;

private:
    void skipByRequest(const Batch& b, const std::string& head);
    void refreshTracker(const Ddl& ddl, const std::string& statement);

    struct Skipped {
        std::string position, statement, time;
    };

    const api::ObjectSelection& objects_;
    const ReplayOptions& options_;
    status::StatusSink& sink_;
    Progress& progress_;
    SchemaTracker& tracker_;
    db::Connection& target_;
    Applier& applier_;
    Batcher& batcher_;
    std::vector<Skipped> skipped_;  // this run's spec.ddl.skip entries, for the status
};

}  // namespace tidemark::replay
