// DDL on a shard: a source table that spec.routes merges with others into one target table.
// What replay does with it, decided from the statement alone (pure; tested without a server).
// This is spec.shardDdl.mode Optimistic; in Pessimistic mode (the default) the DDL runner takes
// RunOnce and Refuse of a definition change (ALTER TABLE, CREATE/DROP INDEX) as "wait for every
// shard": shard_ddl_locks.h records the change, held_rows.h holds the shard's rows meanwhile, and
// the last shard to issue it runs it once. Skip and Replace are the same in both modes (a
// TRUNCATE of a shard whose rows are held is held with them).
//
//   CREATE TABLE                 Skip: a new shard; its rows go to the merged table, which must
//                                exist (the DDL runner refuses it otherwise).
//   ALTER TABLE of ADD clauses   RunOnce: the first shard's statement changes the merged table;
//   only, CREATE INDEX           the same change from every other shard then finds the column
//                                or index there (ER_DUP_FIELDNAME / ER_DUP_KEYNAME) and is taken
//                                as applied. Each shard's definition is re-read from the target
//                                after its own statement, so rows before it keep their old shape
//                                (a new column gets its default for the shards that have not
//                                added it yet). Crash-safe: no state beyond the target's schema.
//   TRUNCATE TABLE               Replace: with extra columns, DELETE of that shard's rows only;
//                                without, Refuse (it would empty every shard's rows).
//   DROP TABLE                   Skip: the merged table keeps the other shards' rows.
//   anything else (DROP/CHANGE/  Refuse: the other shards' rows still have the old shape, which
//   MODIFY/RENAME COLUMN, DROP   a changed merged table would no longer take. The error says how
//   INDEX, RENAME TABLE, ...)    to go on: run the change on the merged table once, and list each
//                                shard's position in spec.ddl.skip.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runner/consolidate/router.h"
#include "runner/replay/ddl.h"

namespace tidemark::replay {

struct ShardDdlPlan {
    enum class Action { RunOnce, Replace, Skip, Refuse };
    Action action = Action::RunOnce;
    std::string statement;         // Replace: the statement to run instead
    std::string reason;            // Skip and Refuse: why, one line
    consolidate::TableName shard;  // the merged source table the statement is about
};

// `ddl` names `shard` (its first table), which `route` merges with the other source tables of
// `group` (all of them, `shard` included; at least two). `position`: the statement's source
// position, for the messages.
ShardDdlPlan planShardDdl(const Ddl& ddl, std::string_view sourceStatement, const TableName& shard,
                          const consolidate::Route& route, const std::vector<consolidate::TableName>& group,
                          const std::string& position);

// True when every clause of the ALTER TABLE `statement` adds something (a column, an index, a
// key or a constraint) or only sets ALGORITHM / LOCK.
bool alterOnlyAdds(std::string_view statement);

}  // namespace tidemark::replay
