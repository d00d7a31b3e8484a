// The definition of each shard of a merged table, as of the point of the stream replay is at.
//
// Shards of one merged table (spec.routes) change one at a time: between the first shard's
// ALTER and the last one's, their row images differ from each other and from the merged table
// (shard_ddl.h). So each shard's definition lives in a shadow table of its own on the target,
// tidemark_meta.`shard_<hash>`: created from the merged table less the route's extra columns the
// first time replay meets the shard (the shards then have the merged table's definition: precheck
// checks they agree), then changed by each of the shard's own DDL statements, before the merged
// table is and before the checkpoint passes the statement. The schema tracker reads shards there.
//
// Contracts:
//  - shadowName() is a pure function of the job instance and the shard: stable across runs.
//  - Crash-safe: a statement re-read after a crash finds its change in the shadow already
//    (applyDdl() takes the server's "already there" errors as done, like applier.h).
//  - Registered in tidemark_meta.shard_shadows (job, source_db, source_table, shadow), so
//    meta::forgetInstance drops them with the job.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runner/consolidate/router.h"
#include "runner/db/connection.h"
#include "runner/replay/ddl.h"

namespace tidemark::replay {

// tidemark_meta's table of a shard's definition for job instance `instanceKey`.
consolidate::TableName shadowName(std::string_view instanceKey, const consolidate::TableName& shard);

class ShardShadows {
public:
    ShardShadows(std::string instanceKey, consolidate::Router router);

    // Creates the shadow of every shard in `groups` (target table -> its source tables; those of
    // two or more are merged) that has none yet, from the merged table less its extra columns.
    void ensure(db::Connection& target,
                const std::map<consolidate::TableName, std::vector<consolidate::TableName>>& groups);
    // Runs the shard's own DDL on its shadow (the statement with each table name written as its
    // shadow's; DROP TABLE drops it; TRUNCATE and renames leave it). Throws db::DbError for errors
    // other than "already there".
    void applyDdl(db::Connection& target, const Ddl& ddl, std::string_view sourceStatement,
                  const consolidate::TableName& shard);

private:
    void create(db::Connection& target, const consolidate::TableName& shard, const consolidate::Route& route);
    std::string key_;
    consolidate::Router router_;
};

}  // namespace tidemark::replay
