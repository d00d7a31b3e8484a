// What the schema tracker knows about a table, for sources whose TABLE_MAP events carry no
// optional metadata (MySQL 5.6/5.7, MariaDB with binlog_row_metadata=NO_LOG).
//
// Metadata written by the server always wins; a hint only fills what the event lacks. Hints
// are looked up once per TABLE_MAP event, not per row.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::binlog {

struct ColumnHint {
    std::string name;
    bool isUnsigned = false;
    // Collation id of a character column (63 = binary); 0 = unknown. Use charset when only a
    // name is known ("utf8mb4", "latin1", "binary").
    uint16_t collation = 0;
    std::string charset;
    std::vector<std::string> enumValues;  // ENUM members in definition order
    std::vector<std::string> setValues;   // SET members in definition order
    bool isJson = false;                  // MariaDB: this LONGTEXT is a JSON column
};

struct TableHint {
    std::vector<ColumnHint> columns;   // in table order; may be shorter than the table
    std::vector<uint32_t> primaryKey;  // column indexes
};

class SchemaHints {
public:
    virtual ~SchemaHints() = default;
    // The table as the tracker knows it right now, or nullptr. The pointer must stay valid
    // until the next call.
    virtual const TableHint* lookup(std::string_view schema, std::string_view table) const = 0;
};

}  // namespace tidemark::binlog
