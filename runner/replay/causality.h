// Causality: which row changes of a batch may be applied independently.
//
// Every change gets keys: for its before and after images, the table plus the values of the
// primary key and of each unique key (NULL-containing unique values are skipped; strings of
// case-insensitive collations are folded; keyless tables get one key for the whole table).
// Changes sharing a key, directly or transitively, form one component and keep their source
// order; components are spread over the shares, largest-first-come to the least loaded.
//
// The result is a pure function of the batch's changes and the share count — recovery after a
// crash rebuilds the same partition from the same binlog range (see checkpoint.h).
#pragma once

#include <cstdint>
#include <vector>

#include "runner/replay/change.h"

namespace tidemark::replay {

struct Partition {
    std::vector<std::vector<uint32_t>> shares;  // change indexes, source order within a share
    std::vector<uint32_t> component;            // component id of each change (dense, by first appearance)
};

Partition partitionChanges(const std::vector<RowChange>& changes, int shares);

}  // namespace tidemark::replay
