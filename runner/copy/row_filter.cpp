#include "runner/copy/row_filter.h"

#include "api/name_pattern.h"
#include "runner/copy/full_copy.h"
#include "runner/filter/row_expression.h"

namespace tidemark::copy {

std::string rowFilterCondition(const api::MigrationJob& job, const TableInfo& table) {
    std::vector<filter::ColumnInfo> columns;
    for (auto& c : table.columns) columns.push_back({c.name, c.dataType, c.charset});
    std::string keep;
    const auto& filters = job.consolidation.rowFilters;
    for (std::size_t i = 0; i < filters.size(); ++i) {
        const auto& f = filters[i];
        if (f.insert.empty() || !api::ruleNamesTable(f, table.db, table.name, job.objects.names)) continue;
        try {
            const auto bound = filter::bindToColumns(filter::parse(f.insert), columns);
            keep += (keep.empty() ? "" : " AND ") + filter::keepCondition(bound);
        } catch (const filter::ExpressionError& e) {
            throw CopyError("spec.rowFilters[" + std::to_string(i) + "].insert does not fit " + table.qualified() +
                            ": " + e.what());
        }
    }
    return keep;
}

}  // namespace tidemark::copy
