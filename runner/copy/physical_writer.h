// Physical mode: rows are streamed into empty target tables with LOAD DATA LOCAL INFILE fed
// from memory through libmariadb's local-infile callbacks (no temporary files), on sessions
// without unique and foreign key checks (MariaDB's bulk path into empty tables; TiDB's bulk
// DML). Secondary indexes are added after the data (see schema_translate.h).
#pragma once

#include "runner/copy/logical_writer.h"

namespace tidemark::copy {

// The LOAD DATA statement for a table's written columns; BIT columns go through a variable.
std::string loadDataStatement(const TableWork& t);
// Appends one row as a tab-separated line (\N for NULL, \\ \t \n \0 escaped).
void appendTsvRow(std::string& out, const TableWork& t, char** row, const unsigned long* lengths);

class LoadDataWriter : public BatchWriter {
public:
    LoadDataWriter(const db::ConnectOptions& target, bool tidb);

protected:
    void execute(const Batch& b) override;

private:
    const std::string* data_ = nullptr;
    std::size_t offset_ = 0;
    friend struct InfileCallbacks;
};

// True when the target table holds at least one row.
bool targetHasRows(db::Connection& target, const std::string& db, const std::string& table);

}  // namespace tidemark::copy
