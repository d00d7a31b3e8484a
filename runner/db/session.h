// What every tidemark session on a source or a target agrees on, so the copy and replay read and
// write the same values. Target sessions get it from db::dialect::applySession (dialect/session.h),
// the copy's reading sessions from copy::prepareReadSession.
#pragma once

namespace tidemark::db {

// The sql_mode of every session that reads rows for the copy or writes them (copy and replay):
// not strict, with zero dates, dates with zero parts and invalid days (ALLOW_INVALID_DATES)
// allowed. A non-strict source holds such values (ENUM '', '0000-00-00', '2024-00-15',
// '2024-02-30'); written under this mode they are stored as they are, and a key range or a
// WHERE compares with them as the source's index orders them (a strict session refuses to
// compare with '0000-00-00', and converts '2021-02-30' to something else). 0 stays 0 in
// AUTO_INCREMENT columns; no mode that changes what a SELECT returns (PAD_CHAR_TO_FULL_LENGTH).
inline constexpr const char* kMigrationSqlMode = "ALLOW_INVALID_DATES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";

}  // namespace tidemark::db
