// Which row changes of a rows event replay applies: spec.filters (event kinds per table,
// consolidate/event_filter.h) and spec.rowFilters (expressions on the row images,
// runner/filter/), each change left out counted in Progress (incremental.filtered).
//
// Contracts:
//  - keep() returns the indexes of the rows to apply, ascending; deterministic for a given job
//    spec and event, so a transaction re-read after a restart keeps the same changes (resuming
//    inside a transaction counts kept changes: txn_assembler.h).
//  - An Error event filter that names the event throws ReplayError (not retryable) naming the
//    rule, the table and the position; nothing of the event is applied.
//  - Row filters are bound per tracked definition (a DDL gives the table a new one) and
//    evaluated in the runner, no round trip per row.
//  - Not thread-safe: the replay coordinator owns it.
#pragma once

#include "api/migration_job.h"
#include "runner/binlog/events.h"
#include "runner/consolidate/event_filter.h"
#include "runner/replay/position.h"
#include "runner/replay/progress.h"
#include "runner/replay/schema_tracker.h"

#include <map>
#include <memory>
#include <vector>

namespace tidemark::replay {

class RowSelection {
public:
    RowSelection(const api::MigrationJob& job, Progress& progress);
    ~RowSelection();

    // True when no filter is configured: every row is applied.
    bool keepsAll() const { return keepsAll_; }
    // The rows of `rows` (an event of `table`, ending at `at`) to apply.
    const std::vector<uint32_t>& keep(const std::shared_ptr<const TableSchema>& table, const binlog::RowsEvent& rows,
                                      const Position& at);

private:
    struct TableFilters;
    const TableFilters& filtersFor(const std::shared_ptr<const TableSchema>& table);

    const api::MigrationJob& job_;
    Progress& progress_;
    consolidate::EventFilters events_;
    bool keepsAll_ = true;
    std::map<const TableSchema*, std::unique_ptr<TableFilters>> bound_;
    std::vector<uint32_t> kept_;
};

}  // namespace tidemark::replay
