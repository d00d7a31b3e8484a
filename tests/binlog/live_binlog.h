// Shared pieces of the live binlog tests: a server of the run's source flavor, its binlog files
// read back through BinlogFileSource, and tables copied from decoded rows.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "runner/binlog/binlog_file_source.h"
#include "tests/support/db_server.h"

// Declares DbServer `server` started with `options`; when this machine cannot run that flavor,
// says why and ends the test case. Prints the server's version.
#define START_OR_SKIP(server, options)                                                    \
    const ::tidemark::testing::ServerOptions server##Options = (options);                 \
    if (std::string why; !::tidemark::testing::available(server##Options.flavor, &why)) { \
        MESSAGE("skipped: " << why);                                                      \
        return;                                                                           \
    }                                                                                     \
    ::tidemark::testing::DbServer server(server##Options);                                \
    MESSAGE(std::string(::tidemark::testing::flavorName(server.flavor())) << " " << server.version())

// Ends the test case on a MariaDB run, saying what MariaDB lacks.
#define MYSQL_ONLY(what)                                                             \
    if (::tidemark::testing::sourceFlavor() != ::tidemark::testing::Flavor::MySQL) { \
        MESSAGE("skipped on MariaDB: " << what);                                     \
        return;                                                                      \
    }

namespace tidemark::testing::live {

// The run's source with full row metadata (column names, enum labels, primary key, visibility).
ServerOptions sourceOptions();

// The server's binlog files (mysql-bin.NNNNNN), oldest first.
std::vector<std::filesystem::path> binlogFiles(const DbServer& server);

// Every event of one file, in order (inner events of a payload after it).
std::vector<binlog::Event> decodeFile(const std::filesystem::path& file, binlog::DecoderOptions options = {});

// Closes the current binlog (FLUSH BINARY LOGS) and decodes every file the server wrote.
std::vector<binlog::Event> decodeAllBinlogs(DbServer& server);

struct RowChange {
    binlog::RowsKind kind;
    const binlog::Row* row;
    const binlog::TableMap* table;
};
// The row changes of db.table, in binlog order; pointers into `events`.
std::vector<RowChange> changesOf(const std::vector<binlog::Event>& events, const std::string& database,
                                 const std::string& table);

// db.table's column names in table order, invisible ones included.
std::vector<std::string> columnsOf(db::Connection& c, const std::string& database, const std::string& table);

// Every row of db.table (the columns of columnsOf, invisible ones included), by primary key.
std::vector<std::vector<std::optional<std::string>>> rowsOf(db::Connection& c, const std::string& database,
                                                            const std::string& table);

// Applies `change` to db.copy as SQL built from the decoded values (sqlLiteral): INSERT the
// after image, UPDATE the row with the before image's key (column 0) to the after image, or
// DELETE it. The session must be in UTC with a non-strict sql_mode (see sql_literal.h).
void applyDecoded(db::Connection& c, const std::string& database, const std::string& copy,
                  const std::vector<std::string>& columns, const RowChange& change);

}  // namespace tidemark::testing::live
