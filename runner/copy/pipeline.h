// The pieces the copy's threads hand each other: tables and chunks to copy, batches of encoded
// rows, and the bounded queue between readers and writers that keeps memory fixed.
#pragma once

#include "runner/copy/checkpoint.h"
#include "runner/copy/inspect.h"
#include "runner/copy/target_table.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace tidemark::copy {

struct TableWork {
    TableInfo info;                      // the source table
    TableKey key;                        // the source table's name: checkpoints are kept by it
    TargetTable target;                  // where its rows go (routed; extras written as constants)
    std::string select;                  // SELECT <read expressions> FROM `db`.`t` [FORCE INDEX]
    std::string keep;                    // rows to read besides the chunk's range (a row filter); "" = all
    std::string writePrefix;             // REPLACE INTO ... VALUES  /  LOAD DATA ... statement
    std::vector<std::size_t> written;    // columns read and written (generated ones skipped)
    std::uint64_t rowsPerStatement = 1;  // logical: rows of a full batch (one prepared statement)
    std::atomic<int> chunksLeft{0};
};

struct ChunkWork {
    std::shared_ptr<TableWork> table;
    int no = 0;
    int of = 1;
    ChunkRange range;          // as checkpointed (clearing it on the target needs the data, not SQL)
    std::string where;         // the range on the source ("" = whole table)
    std::atomic<int> refs{1};  // the reader's reference + one per batch in flight
    std::atomic<std::uint64_t> rows{0}, bytes{0};  // read
    // A batch whose outcome is unknown (a LOAD DATA or a keyless table's REPLACE that may or
    // may not have committed when the connection was lost) cannot just be sent again: the
    // whole chunk is then cleared from the target and read again from the snapshot, once every
    // batch of it still in flight is done. Its remaining batches are dropped unwritten.
    std::atomic<bool> redo{false};
    bool clearFirst = false;                                     // set when requeued for a redo
    std::atomic<std::uint64_t> writtenRows{0}, writtenBytes{0};  // counted in progress so far
    std::string describe() const;  // "`db`.`t` chunk 3/10", "db.t -> `shop`.`t` chunk 3/10" when routed
};

struct Batch {
    std::shared_ptr<ChunkWork> chunk;
    // Physical: LOAD DATA file contents. Logical: the values row by row, back to back, each
    // with its length and NULL flag in `lengths` / `nulls` (the layout of MYSQL_BIND arrays).
    std::string data;
    std::vector<unsigned long> lengths;
    std::vector<char> nulls;
    std::uint64_t rows = 0;
    std::uint64_t bytes = 0;  // value bytes read from the source
};

// A queue with a capacity: push blocks while full; abort() wakes everyone and makes push
// return false and pop return nothing; close() lets pop drain what is left.
template <typename T>
class BoundedQueue {
public:
    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}
    bool push(T item) {
        std::unique_lock lock(m_);
        notFull_.wait(lock, [&] { return aborted_ || items_.size() < capacity_; });
        if (aborted_) return false;
        items_.push_back(std::move(item));
        notEmpty_.notify_one();
        return true;
    }
    std::optional<T> pop() {
        std::unique_lock lock(m_);
        notEmpty_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
        if (aborted_ || items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        notFull_.notify_one();
        return item;
    }
    void close() {
        std::lock_guard lock(m_);
        closed_ = true;
        notEmpty_.notify_all();
    }
    void abort() {
        std::lock_guard lock(m_);
        aborted_ = true;
        notEmpty_.notify_all();
        notFull_.notify_all();
    }

private:
    std::size_t capacity_;
    std::mutex m_;
    std::condition_variable notFull_, notEmpty_;
    std::deque<T> items_;
    bool closed_ = false;
    bool aborted_ = false;
};

}  // namespace tidemark::copy
