// The precheck stage: everything that can be known before a job starts and would make it
// fail or lose data later. Each item reports Pass, Warning or Failed with a message and an
// instruction that says how to fix it for the job's source flavor.
#pragma once

#include "api/migration_job.h"
#include "runner/db/connection.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <utility>
#include <vector>

namespace tidemark::precheck {

enum class State { Pass, Warning, Failed };
std::string_view nameOf(State);

struct Item {
    std::string name;  // stable identifier, usable in spec.precheck.skip
    State state = State::Pass;
    std::string message;      // what was found
    std::string instruction;  // how to fix it (empty on Pass)
};

struct Report {
    std::vector<Item> items;
    std::vector<std::string> skipped;  // names the job asked not to run

    int count(State s) const;
    // The job may go on: nothing failed, and warnings are absent or ignored.
    bool mayProceed(bool ignoreWarnings) const;
};

// Every item name, in the order they run (for documentation and for validating `skip`).
const std::vector<std::string>& itemNames();

// Runs the precheck of `job`. Connection failures become Failed items (the items that need
// that connection are then not run); it throws only for programming errors.
Report run(const api::MigrationJob& job, const db::ConnectOptions& source, const db::ConnectOptions& target);

// A job of several sources (spec.sources): each source's job (api MigrationJob::forSource) and
// connection. The items over all of them (several_sources.cpp): `sources_apart`, two sources'
// tables written into one target table are told apart by their routes' extra columns (and copied
// in logical mode), and `source_schemas`, they have one definition.
using SourceOfJob = std::pair<api::MigrationJob, db::ConnectOptions>;
std::vector<Item> checkSources(const std::vector<SourceOfJob>& sources);

// A readable table for a terminal, and the JSON form (status.precheck).
std::string renderTable(const Report& report);
nlohmann::json toJson(const Report& report);
std::string renderJson(const Report& report);  // toJson(), indented

}  // namespace tidemark::precheck
