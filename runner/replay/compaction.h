// The compaction rules of a batch: how the row changes to one key collapse into their net effect
// before SQL is built (sql_builder.h). The table below is the whole rule set; the builder
// consults nothing else, and tests/replay/sql_builder_test.cpp walks every row of it.
//
// When a key compacts: its causality component (causality.h) is that one primary key of a
// table whose only unique key is the primary key, and every change of the component is outside
// safe mode, keeps the key (an UPDATE with the same key before and after) and carries a full
// after image. Only then does "the target holds the row iff the source did" let an upsert stand
// for an UPDATE, and a later change replace an earlier one.
//
// A key's first change becomes its held operation: a Write an Insert, an Update an Upsert, a
// Delete a DeleteKey. Each later change of the key is looked up with the held operation: a row
// says what the key's held operation becomes. A pair with no row is not merged: the later change
// is emitted as its own operation after the held one and becomes the key's held operation.
#pragma once

#include <cstdint>
#include <optional>

#include "runner/binlog/events.h"

namespace tidemark::replay {

// A key's held (not yet rendered) operation.
enum class HeldOp : uint8_t {
    Insert,     // INSERT of the change's after image
    Upsert,     // INSERT ... ON DUPLICATE KEY UPDATE of the after image (the row may exist)
    DeleteKey,  // DELETE by the key
};

// What the held operation becomes after the next change.
enum class Merged : uint8_t {
    Insert,     // INSERT of the next change's after image
    Upsert,     // upsert of the next change's after image
    DeleteKey,  // DELETE by the key
    Nothing,    // no statement at all; the key holds nothing any more
};

struct CompactionRule {
    HeldOp held;
    binlog::RowsKind next;
    Merged result;
    const char* why;
};

// clang-format off
inline constexpr CompactionRule kCompactionRules[] = {
    // The row did not exist before the batch: inserting its final image is the whole effect.
    {HeldOp::Insert,    binlog::RowsKind::Update, Merged::Insert,    "INSERT then UPDATE: INSERT the updated row"},
    // The row did not exist before the batch and does not after it.
    {HeldOp::Insert,    binlog::RowsKind::Delete, Merged::Nothing,   "INSERT then DELETE: nothing"},
    // Two full images of the same key: the later one is the row's final state.
    {HeldOp::Upsert,    binlog::RowsKind::Update, Merged::Upsert,    "UPDATE then UPDATE: upsert the last image"},
    // Whatever the first UPDATE did, the row is gone afterwards.
    {HeldOp::Upsert,    binlog::RowsKind::Delete, Merged::DeleteKey, "UPDATE then DELETE: DELETE"},
    // The row existed, was removed and came back with a new image: it exists with that image.
    {HeldOp::DeleteKey, binlog::RowsKind::Write,  Merged::Upsert,    "DELETE then INSERT: upsert the new row"},
};
// clang-format on

// The row for (held, next), or nothing when the pair is not merged (see above).
constexpr std::optional<Merged> mergeChange(HeldOp held, binlog::RowsKind next) {
    for (const CompactionRule& r : kCompactionRules)
        if (r.held == held && r.next == next) return r.result;
    return std::nullopt;
}

// The held operation a key's first change (or an unmerged later one) starts with.
constexpr HeldOp heldFor(binlog::RowsKind first) {
    switch (first) {
        case binlog::RowsKind::Write: return HeldOp::Insert;
        case binlog::RowsKind::Update: return HeldOp::Upsert;
        case binlog::RowsKind::Delete: return HeldOp::DeleteKey;
    }
    return HeldOp::Insert;
}

}  // namespace tidemark::replay
