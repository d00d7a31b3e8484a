// Binlog files still open: copied from a running server, or left behind when it crashed. Their
// format description event carries the "in use" flag, and its CRC32 was computed with the flag
// clear; the file source must verify it so, and read every event the server wrote.
#include <doctest/doctest.h>

#include <filesystem>

#include "runner/db/binlog_status.h"
#include "tests/binlog/live_binlog.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace tidemark::testing::live;
namespace fs = std::filesystem;

namespace {

// Ten rows in three transactions, one of them updated: 11 row changes.
void writeRows(db::Connection& w) {
    w.execute("CREATE DATABASE lv");
    w.execute("CREATE TABLE lv.t (id INT PRIMARY KEY, note VARCHAR(40))");
    w.execute("INSERT INTO lv.t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    w.execute("INSERT INTO lv.t VALUES (4, 'four'), (5, 'five'), (6, 'six'), (7, 'seven')");
    w.execute("START TRANSACTION");
    w.execute("INSERT INTO lv.t VALUES (8, 'eight'), (9, 'nine'), (10, 'ten')");
    w.execute("UPDATE lv.t SET note = 'uno' WHERE id = 1");
    w.execute("COMMIT");
}

// The file's events, and checks that it is an open one read to its end (`size` bytes).
void checkOpenFile(const std::vector<binlog::Event>& events, uint64_t size) {
    REQUIRE_FALSE(events.empty());
    const auto& fde = events.front();
    REQUIRE(fde.as<binlog::FormatDescription>());
    CHECK((fde.header.flags & binlog::kFlagBinlogInUse) != 0);
    CHECK(fde.checksum.has_value());  // CRC32 on, and verified
    CHECK(events.back().nextPosition == size);
    CHECK(changesOf(events, "lv", "t").size() == 11);
}

}  // namespace

TEST_CASE("the_active_binlog_of_a_running_server_decodes_from_a_copy") {
    START_OR_SKIP(server, sourceOptions());
    auto w = server.connectRoot();
    writeRows(w);
    const auto status = db::readBinlogStatus(w);
    REQUIRE(status);
    TempDir tmp("binlog-copy");
    const auto copy = tmp.path() / status->file;
    fs::copy_file(server.dir() / "data" / status->file, copy);
    REQUIRE(fs::file_size(copy) == status->pos);
    checkOpenFile(decodeFile(copy), status->pos);
}

TEST_CASE("a_binlog_left_by_a_crash_decodes_to_its_last_transaction") {
    START_OR_SKIP(server, sourceOptions());
    auto w = server.connectRoot();
    writeRows(w);
    const auto status = db::readBinlogStatus(w);
    REQUIRE(status);
    server.kill();
    const auto file = server.dir() / "data" / status->file;
    REQUIRE(fs::file_size(file) == status->pos);
    checkOpenFile(decodeFile(file), status->pos);
}
