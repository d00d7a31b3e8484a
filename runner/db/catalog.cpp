#include "runner/db/catalog.h"

#include <algorithm>

#include "runner/db/dialect/flavor.h"

namespace tidemark::db {

api::ObjectSelection withNameRuleOf(Connection& server, api::ObjectSelection objects) {
    objects.names = api::nameCaseFor(dialect::lowerCaseTableNames(server));
    return objects;
}

std::vector<std::pair<std::string, std::string>> selectedTables(Connection& server,
                                                                const api::ObjectSelection& objects) {
    const auto selection = withNameRuleOf(server, objects);
    auto rows =
        server.query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'");
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& r : rows.rows) {
        std::string database = r[0].value_or(""), table = r[1].value_or("");
        if (selection.selectsTable(database, table)) out.emplace_back(std::move(database), std::move(table));
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace tidemark::db
