// Pessimistic shard DDL (spec.shardDdl.mode Pessimistic, shard_ddl.h): the changes of a merged
// table that some of its shards have issued and the merged table has not taken yet, kept on the
// target so that every runner of the job (one per source) and every restart sees them.
//
// Steps: each change a shard issues is the next step of its merged table (1, 2, ...). A shard is
// at step s once it issued s changes; the merged table is at step `applied`. A step is applied
// (run once on the merged table) when every shard of the group issued it, with the same statement
// after routing (ddl.h targetStatement); until then the rows of shards past `applied` are held
// (held_rows.h).
//
// Tables in tidemark_meta, keyed by the job's jobKey() (shared by all its sources' runners):
//   ddl_locks (job, merged_db, merged_table, applied)       one coordination row per merged table
//   ddl_lock_issued (job, merged_db, merged_table, step, instance, source_db, source_table,
//                    statement, position)                  who issued which pending step
//   ddl_lock_members (job, merged_db, merged_table, instance, source_db, source_table)
//                                                          the shards of each merged table, each
//                                                          registered by the runner that reads it;
//                                                          a row with merged_db '' marks an
//                                                          instance that registered
// A shard is its source table and the instance reading it (ShardMember). Issued rows of a step
// are deleted when it is applied (a shard's step is then the applied one).
//
// Contracts:
//  - Every transaction that decides whether a shard's rows are held, records an issue or applies a
//    step first locks the merged table's coordination row (lock(): SELECT ... FOR UPDATE), so
//    runners of several sources decide one at a time and always on committed state.
//  - The cache of applied steps (applied(), setApplied()) is thread-safe; it can only lag behind
//    the target (steps are never un-applied), and readers that act on it re-check under lock().
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runner/consolidate/router.h"
#include "runner/db/connection.h"

namespace tidemark::replay {

// A shard that issued a pending step.
struct ShardIssue {
    consolidate::TableName shard;
    std::string instance;   // the instanceKey() of the runner that reads the shard's source
    std::string statement;  // as routed to the merged table
    std::string position;   // the statement's end position on its source
};

// A shard of a merged table: its source table and the runner instance that reads it (two
// sources of a job may each have a table of the same name).
struct ShardMember {
    std::string instance;
    consolidate::TableName shard;
    bool operator==(const ShardMember&) const = default;
};

// A step of a merged table that not every shard has issued yet.
struct PendingStep {
    uint64_t step = 0;
    std::vector<ShardIssue> issued;
};

class ShardDdlLocks {
public:
    // `instances`: the instance key of every source of the job (api MigrationJob::forSource), this
    // one's included: a step completes only once each of them registered its shards.
    ShardDdlLocks(std::string jobKey, std::string instanceKey, std::vector<std::string> instances);

    // Creates the tables when missing (outside any transaction: DDL commits implicitly).
    void ensureTables(db::Connection& target) const;
    // Reads the applied step of every merged table of `groups` (target table -> its source tables;
    // two or more are merged) into the cache, and returns the step each of those shards is at.
    std::map<consolidate::TableName, uint64_t> load(
        db::Connection& target, const std::map<consolidate::TableName, std::vector<consolidate::TableName>>& groups);

    // Registers this instance's shards of `groups` as the members of their merged tables (replacing
    // what it registered before), in a transaction of its own.
    void registerShards(db::Connection& target,
                        const std::map<consolidate::TableName, std::vector<consolidate::TableName>>& groups) const;
    // A shard this instance reads joined or left `merged` (CREATE / DROP TABLE).
    void join(db::Connection& c, const consolidate::TableName& merged, const consolidate::TableName& shard) const;
    void leave(db::Connection& c, const consolidate::TableName& merged, const consolidate::TableName& shard) const;
    // Every registered shard of `merged`, of all instances of the job.
    std::vector<ShardMember> members(db::Connection& c, const consolidate::TableName& merged) const;
    // True once every source of the job registered its shards (registerShards; each source's runner
    // does at the start of its replay): before that, a shard of a source not yet replaying might
    // belong to any merged table, so no step completes.
    bool everySourceRegistered(db::Connection& c) const;

    // Inside a transaction on `c`: creates and locks `merged`'s coordination row; its applied step.
    uint64_t lock(db::Connection& c, const consolidate::TableName& merged) const;
    // The issues of `step` of `merged` (under lock()).
    std::vector<ShardIssue> issuedAt(db::Connection& c, const consolidate::TableName& merged, uint64_t step) const;
    void recordIssue(db::Connection& c, const consolidate::TableName& merged, uint64_t step,
                     const ShardIssue& issue) const;
    // applied := step; forgets the issues of that step (under lock()).
    void markApplied(db::Connection& c, const consolidate::TableName& merged, uint64_t step) const;
    // Every pending step of `merged`, in order (for the status).
    std::vector<PendingStep> pending(db::Connection& c, const consolidate::TableName& merged) const;

    // The cache: a merged table's applied step by its qualified name (TableSchema::qualified).
    uint64_t applied(const std::string& qualified) const;
    void setApplied(const consolidate::TableName& merged, uint64_t step);
    std::optional<consolidate::TableName> mergedTable(const std::string& qualified) const;

    const std::string& jobKey() const { return job_; }
    const std::string& instanceKey() const { return instance_; }

private:
    std::string where(db::Connection& c, const consolidate::TableName& merged) const;
    std::string job_, instance_;
    std::vector<std::string> instances_;
    mutable std::mutex mu_;
    std::map<std::string, std::pair<consolidate::TableName, uint64_t>> applied_;  // qualified -> (merged, step)
};

}  // namespace tidemark::replay
