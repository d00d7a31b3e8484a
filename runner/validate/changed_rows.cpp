#include "runner/validate/changed_rows.h"

#include "runner/replay/stream_order.h"

#include <algorithm>

namespace tidemark::validate {

ChangedRows::ChangedRows(std::size_t maxFresh, std::size_t maxWatched, std::chrono::seconds recheckAfter)
    : maxFresh_(std::max<std::size_t>(1, maxFresh)), maxWatched_(maxWatched), recheckAfter_(recheckAfter) {}

void ChangedRows::touched(const RowKey& key, const replay::Position& end) {
    const std::string id = key.id();
    if (auto w = watched_.find(id); w != watched_.end()) {
        w->second.lastChange = end;
        return;
    }
    if (auto f = freshById_.find(id); f != freshById_.end()) {
        f->second->lastChange = end;
        return;
    }
    if (fresh_.size() >= maxFresh_) {
        freshById_.erase(fresh_.front().key.id());
        fresh_.pop_front();
        ++skipped_;
    }
    fresh_.push_back({key, end});
    freshById_[id] = std::prev(fresh_.end());
}

std::vector<RowKey> ChangedRows::take(std::size_t limit, Clock::time_point now) {
    std::vector<RowKey> out;
    for (auto& [id, w] : watched_) {
        if (out.size() >= limit) return out;
        if (w.due > now) continue;
        w.due = now + recheckAfter_;
        out.push_back(w.key);
    }
    while (out.size() < limit && !fresh_.empty()) {
        freshById_.erase(fresh_.front().key.id());
        out.push_back(std::move(fresh_.front().key));
        fresh_.pop_front();
    }
    return out;
}

void ChangedRows::putBack(const std::vector<RowKey>& keys) {
    for (const auto& key : keys)
        if (!watched_.count(key.id()) && !freshById_.count(key.id())) touched(key, {});
}

bool ChangedRows::conclusive(const RowKey& key, const replay::Position& before) const {
    const std::string id = key.id();
    auto changedAfter = [&](const replay::Position& lastChange) {
        return replay::compareStreamPositions(lastChange, before) > 0;
    };
    if (auto w = watched_.find(id); w != watched_.end() && changedAfter(w->second.lastChange)) return false;
    if (auto f = freshById_.find(id); f != freshById_.end() && changedAfter(f->second->lastChange)) return false;
    return true;
}

void ChangedRows::equal(const RowKey& key) {
    watched_.erase(key.id());
    ++rowsValidated_;
}

void ChangedRows::differs(const RowKey& key, Clock::time_point now, const std::string& nowText) {
    const std::string id = key.id();
    if (auto w = watched_.find(id); w != watched_.end()) {
        w->second.reported = true;  // a suspect's re-check, or a reported one's: it persists
        w->second.due = now + recheckAfter_;
        return;
    }
    replay::Position lastChange;
    if (auto f = freshById_.find(id); f != freshById_.end()) {
        lastChange = f->second->lastChange;
        fresh_.erase(f->second);
        freshById_.erase(f);
    }
    if (watched_.size() >= maxWatched_) {
        ++skipped_;
        return;
    }
    watched_[id] = Watched{key, lastChange, false, now + recheckAfter_, nowText, ++watchOrder_};
}

ValidationCounts ChangedRows::counts() const {
    ValidationCounts c;
    c.rowsValidated = rowsValidated_;
    for (const auto& [id, w] : watched_) ++(w.reported ? c.differing : c.suspects);
    c.pending = fresh_.size() + c.suspects;
    c.skipped = skipped_;
    c.unkeyedTables = unkeyed_.size();
    c.notComparedTables = notCompared_.size();
    return c;
}

std::vector<ReportedDifference> ChangedRows::differences(std::size_t limit) const {
    std::vector<const Watched*> reported;
    for (const auto& [id, w] : watched_)
        if (w.reported) reported.push_back(&w);
    std::sort(reported.begin(), reported.end(), [](auto* a, auto* b) { return a->order < b->order; });
    std::vector<ReportedDifference> out;
    for (const auto* w : reported) {
        if (out.size() >= limit) break;
        out.push_back({w->key.qualified(), w->key.text, w->since});
    }
    return out;
}

}  // namespace tidemark::validate
