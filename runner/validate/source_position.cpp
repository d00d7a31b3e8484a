#include "runner/validate/source_position.h"

#include "runner/db/binlog_status.h"

namespace tidemark::validate {

replay::Position sourcePosition(db::Connection& source) {
    const auto status = db::readBinlogStatus(source);
    if (!status) throw db::DbError(db::ErrorKind::Query, 0, "the source's binary log is off");
    return replay::Position{status->file, status->pos, status->gtidSet};
}

}  // namespace tidemark::validate
