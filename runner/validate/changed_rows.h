// The continuous validation's book of changed rows: which keys wait to be compared, which differed
// once and wait for their re-check, which still differed then (reported), and the counters the
// status shows. Pure bookkeeping: no server, no clock of its own, not thread-safe (the Validator
// guards it).
//
// Contracts:
//  - touched(): replay committed a change to the key in a batch ending at `end`. A key not watched
//    joins the fresh keys (once; a repeat only moves its last change); when maxFresh keys wait,
//    the oldest is dropped and counted as skipped.
//  - take(): the watched keys whose re-check is due (they stay watched; due again after
//    recheckAfter unless settled), then the oldest fresh keys (taken out), up to `limit`.
//  - A comparison read from the source after position `before` is conclusive for a key unless a
//    change to the key committed after `before` (it may be on the target and not in the read):
//    then the key is simply compared again later.
//  - differs(): a fresh key becomes a suspect, due for its re-check after recheckAfter; a suspect
//    that still differs becomes a reported difference (re-checked as often, and forgotten once
//    equal). Nothing is reported at its first comparison. At most maxWatched keys are watched;
//    beyond, a differing key is counted as skipped.
//  - equal(): the key is forgotten by the watch list and counted in rowsValidated.
#pragma once

#include "runner/replay/position.h"
#include "runner/validate/row_keys.h"

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace tidemark::validate {

using Clock = std::chrono::steady_clock;

struct ValidationCounts {
    std::uint64_t rowsValidated = 0;
    std::uint64_t pending = 0;   // fresh keys and suspects
    std::uint64_t suspects = 0;  // differed once, waiting for their re-check
    std::uint64_t differing = 0;
    std::uint64_t skipped = 0;
    std::uint64_t unkeyedTables = 0;
    std::uint64_t notComparedTables = 0;  // routed or filtered (consolidate/comparable.h)
};

struct ReportedDifference {
    std::string table;  // `db`.`t`
    std::string key;    // RowKey::text
    std::string since;  // when it was first seen differing (RFC 3339)
};

class ChangedRows {
public:
    ChangedRows(std::size_t maxFresh, std::size_t maxWatched, std::chrono::seconds recheckAfter);

    void touched(const RowKey& key, const replay::Position& end);
    void unkeyed(const std::string& table) { unkeyed_.insert(table); }
    void notCompared(const std::string& table) { notCompared_.insert(table); }

    std::vector<RowKey> take(std::size_t limit, Clock::time_point now);
    // Keys taken but not compared (the pass failed): fresh again unless watched or fresh already.
    void putBack(const std::vector<RowKey>& keys);
    bool conclusive(const RowKey& key, const replay::Position& before) const;
    void equal(const RowKey& key);
    // `nowText`: now in RFC 3339, for ReportedDifference::since.
    void differs(const RowKey& key, Clock::time_point now, const std::string& nowText);

    ValidationCounts counts() const;
    // The reported differences, oldest first, at most `limit`.
    std::vector<ReportedDifference> differences(std::size_t limit) const;

private:
    struct Fresh {
        RowKey key;
        replay::Position lastChange;
    };
    struct Watched {
        RowKey key;
        replay::Position lastChange;
        bool reported = false;  // false: a suspect
        Clock::time_point due;
        std::string since;
        std::uint64_t order = 0;  // when it started being watched, for differences()
    };

    std::size_t maxFresh_, maxWatched_;
    std::chrono::seconds recheckAfter_;
    std::list<Fresh> fresh_;  // oldest first
    std::unordered_map<std::string, std::list<Fresh>::iterator> freshById_;
    std::map<std::string, Watched> watched_;
    std::set<std::string> unkeyed_;
    std::set<std::string> notCompared_;
    std::uint64_t rowsValidated_ = 0, skipped_ = 0, watchOrder_ = 0;
};

}  // namespace tidemark::validate
