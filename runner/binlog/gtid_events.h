// GTID events of both flavors: MySQL GTID / ANONYMOUS_GTID / GTID_TAGGED / PREVIOUS_GTIDS and
// MariaDB GTID / GTID_LIST. Bodies as stored after the common header, checksum removed; all throw
// DecodeError on truncation.
#pragma once

#include <cstdint>

#include "runner/binlog/byte_reader.h"
#include "runner/binlog/events.h"

namespace tidemark::binlog {

// 5.6 (25-byte body) through 8.0 (commit timestamps, transaction length, server versions):
// fields the event does not carry stay 0.
MysqlGtid parseMysqlGtid(ByteReader& r, bool anonymous);
// GTID_TAGGED (MySQL 8.3+, written for `SET gtid_next = 'AUTOMATIC:tag'` and 'uuid:tag:N'): the
// same fields as GTID, plus the tag, in mysql::serialization's self-describing message format.
MysqlGtid parseMysqlGtidTagged(ByteReader& r);
// Both the untagged and (MySQL 8.3+, once a tagged GTID exists) the tagged set format.
PreviousGtids parsePreviousGtids(ByteReader& r);
// serverId comes from the event header: MariaDB does not repeat it in the body.
MariaGtid parseMariaGtid(ByteReader& r, uint32_t serverId);
MariaGtidList parseMariaGtidList(ByteReader& r);

}  // namespace tidemark::binlog
