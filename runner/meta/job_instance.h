// A job instance's record in the target's tidemark_meta, and everything it owns there.
//
// Every checkpoint row tidemark writes (copy_*, replay_*, the fence) carries the job's
// instanceKey() (api/migration_job.h) in a `job` column, so an instance only ever reads its own
// progress: a job deleted and re-created under the same name, or one of the same name in another
// namespace, starts from nothing instead of from another instance's position.
//
// tidemark_meta.job_instance remembers, per instance, what its progress was made for: the job
// type, full-copy mode, object selection and target endpoint. Those cannot change under a
// running job (new tables would never be copied; a new target would hold none of the copied
// rows): the runner refuses to run an instance whose spec changed them (SpecChangedError, naming
// the fields). The source may change (a failover to a replica resumes by the GTID set).
//
// forgetInstance() deletes an instance's rows from every tidemark_meta table: what the operator's
// finalizer runs (as `tidemark-runner forget`) before a deleted job goes, and how a local user
// starts over under the same key.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include "api/migration_job.h"
#include "runner/db/connection.h"

namespace tidemark::meta {

// The instance's checkpoints were made for another type, mode, selection or target.
class SpecChangedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What the instance's progress depends on, field path -> canonical value (spec.type,
// spec.fullMode, spec.objects, spec.target, spec.routes; the last "" without routes).
std::map<std::string, std::string> progressFingerprint(const api::MigrationJob& job);

// Records the instance on its first run; on later runs throws SpecChangedError when the
// fingerprint differs from the recorded one (one line: which fields, recorded -> now, and what
// to do). Creates tidemark_meta.job_instance when missing.
void recordInstance(db::Connection& target, const api::MigrationJob& job);

// The same comparison without recording, for the precheck (which must not write).
struct InstanceState {
    bool recorded = false;  // the instance ran before: its progress is in tidemark_meta
    std::string change;     // what changed since (SpecChangedError's text), "" when nothing did
};
InstanceState inspectInstance(db::Connection& target, const api::MigrationJob& job);

// Deletes every tidemark_meta row whose `job` column is `key` (and, of replay's pessimistic shard
// DDL tables keyed by the job's jobKey(), those whose `instance` column is `key`), and drops
// replay's shard definition tables of the instance; returns rows deleted per table ("shard definition tables": tables
// dropped; tables without such rows are left out). A missing tidemark_meta is nothing to forget.
std::map<std::string, std::uint64_t> forgetInstance(db::Connection& target, const std::string& key);

}  // namespace tidemark::meta
