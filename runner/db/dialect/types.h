// Column types a TiDB target lacks: the one list the precheck's column_types item and the DDL
// translation (which refuses a table or statement using one) share.
//
// Written from TiDB's MySQL-compatibility page (no spatial types, functions or indexes: tidb
// #6347) and its MariaDB migration page (MariaDB's INET4, INET6 and UUID have no TiDB type).
#pragma once

#include <span>
#include <string_view>

namespace tidemark::db::dialect {

struct MissingType {
    std::string_view name;    // as information_schema's DATA_TYPE spells it: "point"
    std::string_view family;  // "spatial" | "MariaDB"
    std::string_view advice;  // what the user can do, one clause
};

// Every type TiDB lacks.
std::span<const MissingType> tidbMissingTypes();
// The entry for `dataType` (any case), or nullptr when TiDB has the type.
const MissingType* tidbMissingType(std::string_view dataType);
inline bool tidbLacksType(std::string_view dataType) { return tidbMissingType(dataType) != nullptr; }

}  // namespace tidemark::db::dialect
