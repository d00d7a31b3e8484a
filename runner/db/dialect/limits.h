// How much tidemark sends to the target in one transaction. TiDB refuses a transaction above
// txn-total-size-limit (100 MiB by default; error 8004) and a row or index entry above
// txn-entry-size-limit (6 MiB by default; error 8025). MySQL and MariaDB have no such limits,
// but a smaller transaction also keeps the undo log and the replica lag of the target small.
#pragma once

#include <cstddef>

namespace tidemark::db::dialect {

struct TxnLimits {
    // Bytes of SQL (or LOAD DATA) text in one target transaction; below TiDB's 100 MiB default
    // with room for its per-row overhead (keys and index entries count too).
    std::size_t maxTxnBytes = std::size_t{64} << 20;
    // One source row above this is refused with a message naming the table, the key and TiDB's
    // txn-entry-size-limit; 0 = no check (non-TiDB targets).
    std::size_t maxEntryBytes = std::size_t{6} << 20;
};

}  // namespace tidemark::db::dialect
