#include "runner/replay/row_selection.h"

#include "api/name_pattern.h"
#include "runner/filter/row_expression.h"
#include "runner/replay/errors.h"

#include <optional>

namespace tidemark::replay {

namespace {

api::EventKind eventKindOf(binlog::RowsKind k) {
    switch (k) {
        case binlog::RowsKind::Write: return api::EventKind::Insert;
        case binlog::RowsKind::Update: return api::EventKind::Update;
        default: return api::EventKind::Delete;
    }
}

const char* countNameOf(binlog::RowsKind k) {
    switch (k) {
        case binlog::RowsKind::Write: return "insert";
        case binlog::RowsKind::Update: return "update";
        default: return "delete";
    }
}

}  // namespace

// The row filters of one tracked definition, bound to its columns. Several matching rules
// filter a row when any of them does.
struct RowSelection::TableFilters {
    struct Rule {
        std::optional<filter::BoundExpression> insert, updateOld, updateNew, deleted;
    };
    std::shared_ptr<const TableSchema> table;  // keeps the key of bound_ alive
    std::vector<Rule> rules;
    // spec.filters' decision for insert, update and delete (RowsKind order): patterns are
    // matched once per definition, not per event.
    consolidate::EventFilters::Decision events[3];
    bool any() const { return !rules.empty(); }

    // DM's reading: an UPDATE is filtered by updateOld on its before image and updateNew on its
    // after image, by both when both are given.
    bool drops(const binlog::RowsKind kind, const binlog::Row& row) const {
        for (const auto& r : rules) {
            switch (kind) {
                case binlog::RowsKind::Write:
                    if (r.insert && filter::matches(*r.insert, row.after)) return true;
                    break;
                case binlog::RowsKind::Delete:
                    if (r.deleted && filter::matches(*r.deleted, row.before)) return true;
                    break;
                case binlog::RowsKind::Update:
                    if (!r.updateOld && !r.updateNew) break;
                    if ((!r.updateOld || filter::matches(*r.updateOld, row.before)) &&
                        (!r.updateNew || filter::matches(*r.updateNew, row.after)))
                        return true;
                    break;
            }
        }
        return false;
    }
};

RowSelection::RowSelection(const api::MigrationJob& job, Progress& progress)
    : job_(job), progress_(progress), events_(job) {
    keepsAll_ = !events_.filtersRows() && job.consolidation.rowFilters.empty();
}

RowSelection::~RowSelection() = default;

const RowSelection::TableFilters& RowSelection::filtersFor(const std::shared_ptr<const TableSchema>& table) {
    auto& slot = bound_[table.get()];
    if (slot) return *slot;
    // A definition replaced by DDL is never asked for again: drop bindings of dead definitions.
    std::erase_if(bound_, [](const auto& kv) { return kv.second && kv.second->table.use_count() == 1; });
    auto& fresh = bound_[table.get()];
    fresh = std::make_unique<TableFilters>();
    fresh->table = table;
    for (auto kind : {binlog::RowsKind::Write, binlog::RowsKind::Update, binlog::RowsKind::Delete})
        fresh->events[static_cast<int>(kind)] = events_.decide(table->database, table->name, eventKindOf(kind));
    std::vector<filter::ColumnInfo> columns;
    for (size_t i = 0; i < table->columns.size(); ++i)
        columns.push_back({table->columns[i].name, table->columns[i].dataType,
                           i < table->hint.columns.size() ? table->hint.columns[i].charset : ""});
    const auto& rules = job_.consolidation.rowFilters;
    for (size_t i = 0; i < rules.size(); ++i) {
        const auto& r = rules[i];
        if (!api::ruleNamesTable(r, table->database, table->name, job_.objects.names)) continue;
        TableFilters::Rule bound;
        auto bindOne = [&](const std::string& text, const char* field, std::optional<filter::BoundExpression>& out) {
            if (text.empty()) return;
            try {
                out = filter::bindToColumns(filter::parse(text), columns);
            } catch (const filter::ExpressionError& e) {
                throw ReplayError("replay: spec.rowFilters[" + std::to_string(i) + "]." + field + " on `" +
                                      table->database + "`.`" + table->name + "`: " + e.what(),
                                  false);
            }
        };
        bindOne(r.insert, "insert", bound.insert);
        bindOne(r.updateOld, "updateOld", bound.updateOld);
        bindOne(r.updateNew, "updateNew", bound.updateNew);
        bindOne(r.deleted, "delete", bound.deleted);
        fresh->rules.push_back(std::move(bound));
    }
    return *fresh;
}

const std::vector<uint32_t>& RowSelection::keep(const std::shared_ptr<const TableSchema>& table,
                                                const binlog::RowsEvent& rows, const Position& at) {
    kept_.clear();
    const TableFilters& filters = filtersFor(table);
    const auto& decision = filters.events[static_cast<int>(rows.kind)];
    if (decision.verdict == consolidate::EventFilters::Verdict::Stop)
        throw ReplayError("replay: " + decision.ruleField() + " stops on " +
                              std::string(api::nameOf(eventKindOf(rows.kind))) + " of `" + table->database + "`.`" +
                              table->name + "` at " + at.text() +
                              " (action Error); change the rule to go on, or skip the event with a new start position",
                          false);
    if (decision.verdict == consolidate::EventFilters::Verdict::Ignore) {
        progress_.filteredRows(countNameOf(rows.kind), rows.rows.size(), Progress::FilteredBy::EventFilter);
        return kept_;
    }
    uint64_t dropped = 0;
    for (uint32_t i = 0; i < rows.rows.size(); ++i) {
        bool drop = false;
        if (filters.any()) {
            try {
                drop = filters.drops(rows.kind, rows.rows[i]);
            } catch (const filter::EvaluationError& e) {
                throw ReplayError("replay: a row filter of `" + table->database + "`.`" + table->name + "` at " +
                                      at.text() + ": " + e.what(),
                                  false);
            }
        }
        if (drop) ++dropped;
        else kept_.push_back(i);
    }
    if (dropped) progress_.filteredRows(countNameOf(rows.kind), dropped, Progress::FilteredBy::RowFilter);
    return kept_;
}

}  // namespace tidemark::replay
