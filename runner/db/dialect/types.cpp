#include "runner/db/dialect/types.h"

#include <array>
#include <cctype>

namespace tidemark::db::dialect {

namespace {

constexpr std::string_view kSpatialAdvice =
    "store the values as WKB (ST_AsBinary) in a LONGBLOB column on the source, or exclude the table";
constexpr std::string_view kMariaAdvice =
    "convert the column on the source (INET4/INET6 to VARCHAR(39) or VARBINARY(16), UUID to CHAR(36) or BINARY(16)), "
    "or exclude the table";

constexpr std::array<MissingType, 12> kMissing = {{
    {"geometry", "spatial", kSpatialAdvice},
    {"point", "spatial", kSpatialAdvice},
    {"linestring", "spatial", kSpatialAdvice},
    {"polygon", "spatial", kSpatialAdvice},
    {"multipoint", "spatial", kSpatialAdvice},
    {"multilinestring", "spatial", kSpatialAdvice},
    {"multipolygon", "spatial", kSpatialAdvice},
    {"geometrycollection", "spatial", kSpatialAdvice},
    {"geomcollection", "spatial", kSpatialAdvice},  // MySQL 8's name for geometrycollection
    {"inet4", "MariaDB", kMariaAdvice},
    {"inet6", "MariaDB", kMariaAdvice},
    {"uuid", "MariaDB", kMariaAdvice},
}};

bool equalNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::span<const MissingType> tidbMissingTypes() { return kMissing; }

const MissingType* tidbMissingType(std::string_view dataType) {
    for (const auto& t : kMissing)
        if (equalNoCase(t.name, dataType)) return &t;
    return nullptr;
}

}  // namespace tidemark::db::dialect
