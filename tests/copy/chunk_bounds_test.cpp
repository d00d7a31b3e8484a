// Chunk ranges on real servers, with string keys in a collation TiDB refuses (latin1_swedish_ci):
// the checkpoint stores them as data, a copy killed part way resumes row for row into a target
// created with the source's collation and into one created with the collation TiDB gets
// (latin1_bin, the stand-in for a TiDB target), started chunks are cleared exactly whichever way
// the target orders the key, and an earlier tidemark's checkpoint is refused with what to do.
#include <doctest/doctest.h>

#include "runner/copy/chunk_range.h"
#include "runner/copy/chunker.h"
#include "runner/copy/inspect.h"
#include "runner/copy/snapshot.h"
#include "runner/db/dialect/collations.h"
#include "tests/copy/copy_support.h"

#include <algorithm>
#include <set>
#include <thread>

using namespace tidemark;
using namespace tidemark::copytest;

namespace {

// Keys whose case-insensitive (latin1_swedish_ci) order differs from their byte order: mixed
// case, accented letters (E-acute sorts with E, A-umlaut after Z), quotes, a backslash, leading
// and trailing spaces; the number keeps every key distinct in either collation.
std::string latinKey(int i) {
    static const std::vector<std::string> first = {"a", "B",  "c", "D", "\xe9", "\xc9", "\xc4", "\xe4", "\xff", "_",
                                                   "'", "\\", "z", "Z", " x",   "\xdf", "E",    "\xf6", "o",    "\xd6"};
    std::string k = first[static_cast<std::size_t>(i) % first.size()] + std::to_string(i);
    if (i % 11 == 0) k += " ";
    return k;
}

std::string compositeFirst(int i) {
    static const std::vector<std::string> first = {"x", "Y", "\xe9", "E", "\xc4", "a", "A\xe4", "q'"};
    return first[static_cast<std::size_t>(i) % first.size()];
}

const std::string kMapped = db::dialect::tidbCollation("latin1_swedish_ci");

// `lat`: a latin1_swedish_ci VARCHAR primary key; `comp`: (latin1_swedish_ci VARCHAR, INT).
void createData(const std::string& dbName, int rows) {
    auto s = source().connectRoot();
    s.execute("CREATE DATABASE " + db::quoteIdent(dbName));
    const std::string d = db::quoteIdent(dbName) + ".";
    s.execute("CREATE TABLE " + d +
              "lat (k VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL PRIMARY KEY, "
              "v VARCHAR(100)) DEFAULT CHARSET=latin1");
    s.execute("CREATE TABLE " + d +
              "comp (a VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL, b INT NOT NULL, "
              "v VARCHAR(100), PRIMARY KEY (a, b)) DEFAULT CHARSET=latin1");
    for (int start = 0; start < rows; start += 500) {
        std::string lat, comp;
        for (int i = start; i < std::min(rows, start + 500); ++i) {
            const std::string v = db::hexLiteral(std::string(80, static_cast<char>('A' + i % 26)));
            lat += (lat.empty() ? "" : ", ") + std::string("(_latin1 ") + db::hexLiteral(latinKey(i)) + ", " + v + ")";
            comp += (comp.empty() ? "" : ", ") + std::string("(_latin1 ") + db::hexLiteral(compositeFirst(i)) + ", " +
                std::to_string(i) + ", " + v + ")";
        }
        s.execute("INSERT INTO " + d + "lat VALUES " + lat);
        s.execute("INSERT INTO " + d + "comp VALUES " + comp);
    }
}

// The target tables as a TiDB target would get them: the key's collation through the mapping.
void createMappedTargets(const std::string& dbName) {
    auto t = target().connectRoot();
    t.execute("CREATE DATABASE IF NOT EXISTS " + db::quoteIdent(dbName));
    const std::string d = db::quoteIdent(dbName) + ".";
    t.execute("CREATE TABLE " + d + "lat (k VARCHAR(20) CHARACTER SET latin1 COLLATE " + kMapped +
              " NOT NULL PRIMARY KEY, v VARCHAR(100)) DEFAULT CHARSET=latin1");
    t.execute("CREATE TABLE " + d + "comp (a VARCHAR(10) CHARACTER SET latin1 COLLATE " + kMapped +
              " NOT NULL, b INT NOT NULL, v VARCHAR(100), PRIMARY KEY (a, b)) DEFAULT CHARSET=latin1");
}

void checkSameRows(const std::string& dbName) {
    auto s = source().connectRoot();
    auto t = target().connectRoot();
    for (const char* table : {"lat", "comp"}) {
        const auto a = hexRows(s, dbName, table);
        const auto b = hexRows(t, dbName, table);
        CHECK_MESSAGE(a.size() == b.size(), table);
        CHECK_MESSAGE(a == b, table);  // row for row, so a duplicate or a missing row shows
    }
}

void killAndResume(api::FullMode mode, const std::string& jobName, const std::string& dbName, bool mappedTargets) {
    reset(jobName, {dbName});
    createData(dbName, 4000);
    if (mappedTargets) createMappedTargets(dbName);
    auto options = testOptions(150, 0.3, 2);
    options.batchBytes = 8 << 10;
    REQUIRE(copyKilledWhen(job(jobName, {dbName}, mode), options, [&] { return chunkCounts(jobName).done >= 8; }));
    const ChunkCounts seen = chunkCounts(jobName);
    auto t = target().connectRoot();
    MESSAGE("killed with " << seen.done << " of " << seen.total << " chunks done, "
                           << t.scalar("SELECT COUNT(*) FROM tidemark_meta.copy_chunk WHERE state = 1 AND job = " +
                                       t.quote(jobName))
                                  .value_or("?")
                           << " started");
    REQUIRE(seen.done >= 8);
    REQUIRE(seen.done < seen.total);

    RecordingSink sink;
    std::atomic<bool> stop{false};
    auto r =
        copy::runFullCopy(job(jobName, {dbName}, mode), sourceOptions(), targetOptions(), sink, stop, testOptions(150));
    CHECK(r.resumed);
    CHECK(r.rows < 8000);  // finished chunks were not copied again
    const auto after = chunkCounts(jobName);
    CHECK(after.done == after.total);
    checkSameRows(dbName);
    auto v = copy::verify(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink);
    CHECK(v.identical);
    for (auto& d : v.differences) MESSAGE(d.text());
}

// A finished copy, then as a kill leaves it: every other chunk started again, and the target's
// rows of those chunks changed (a stale copy). The next run must clear exactly those chunks: a
// row of a done chunk deleted by mistake is never copied again, and a stale row left behind
// stays (physical mode skips a duplicate key).
void clearStartedChunks(const std::string& jobName, const std::string& dbName, bool mappedTargets) {
    reset(jobName, {dbName});
    createData(dbName, 1200);
    if (mappedTargets) createMappedTargets(dbName);
    RecordingSink sink;
    std::atomic<bool> stop{false};
    const auto mode = api::FullMode::Physical;
    copy::runFullCopy(job(jobName, {dbName}, mode), sourceOptions(), targetOptions(), sink, stop, testOptions(60));
    checkSameRows(dbName);

    auto s = source().connectRoot();
    auto t = target().connectRoot();
    copy::prepareReadSession(s);
    const std::string q = t.quote(jobName);
    t.execute("UPDATE tidemark_meta.copy_job SET state = 'copying' WHERE job = " + q);
    t.execute("UPDATE tidemark_meta.copy_table SET state = 1 WHERE job = " + q);
    t.execute("UPDATE tidemark_meta.copy_chunk SET state = 1 WHERE chunk % 2 = 1 AND job = " + q);
    copy::Checkpoint checkpoint(targetOptions(), jobName);
    auto tables = checkpoint.tables();
    int started = 0;
    for (const char* table : {"lat", "comp"}) {
        const auto info = copy::inspectTable(s, dbName, table);
        const auto& rec = tables.at({dbName, table});
        REQUIRE(rec.chunks.size() >= 6);
        for (auto& c : rec.chunks) {
            if (c.state != copy::ChunkState::Started) continue;
            ++started;
            // The rows of this chunk by the source's order, made stale on the target by key.
            auto rows = s.query("SELECT " + copy::keyExpressionList(info) + " FROM " + info.qualified() + " WHERE " +
                                copy::renderRange(info, c.range, copy::sourceKeySide(info)));
            std::vector<copy::KeyValues> keys;
            for (auto& r : rows.rows) {
                copy::KeyValues k;
                for (std::size_t i = 0; i < info.key.size(); ++i) k.push_back(r[i].value_or(""));
                keys.push_back(std::move(k));
            }
            REQUIRE(!keys.empty());
            t.execute("UPDATE " + info.qualified() + " SET v = 'stale' WHERE " +
                      copy::renderKeyIn(info, keys, copy::targetKeySide(t, info, false)));
            CHECK(t.affectedRows() == keys.size());
        }
    }
    REQUIRE(started >= 6);

    auto again =
        copy::runFullCopy(job(jobName, {dbName}, mode), sourceOptions(), targetOptions(), sink, stop, testOptions(60));
    CHECK(again.resumed);
    CHECK(again.rows > 0);
    CHECK(again.rows < 2400);
    CHECK(t.scalar("SELECT COUNT(*) FROM " + db::quoteIdent(dbName) + ".lat WHERE v = 'stale'") ==
          std::optional<std::string>("0"));
    checkSameRows(dbName);
    CHECK(copy::verify(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink).identical);
}

std::set<std::string> hexKeys(db::Connection& c, const copy::TableInfo& info, const std::string& where) {
    std::set<std::string> out;
    auto rows = c.query("SELECT HEX(k) FROM " + info.qualified() + (where.empty() ? "" : " WHERE " + where));
    for (auto& r : rows.rows) out.insert(r[0].value_or(""));
    return out;
}

}  // namespace

TEST_CASE("chunk ranges in tidemark_meta are stored as data, with no SQL and no collation") {
    const std::string jobName = "bounds-data", dbName = "bounds_data";
    reset(jobName, {dbName});
    createData(dbName, 600);
    RecordingSink sink;
    std::atomic<bool> stop{false};
    copy::runFullCopy(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink, stop, testOptions(25));
    checkSameRows(dbName);

    auto t = target().connectRoot();
    auto rows = t.query("SELECT tbl, bounds FROM tidemark_meta.copy_chunk WHERE job = " + t.quote(jobName));
    REQUIRE(rows.size() >= 40);
    int open = 0;
    for (auto& r : rows.rows) {
        REQUIRE(r[1].has_value());
        const std::string& stored = *r[1];
        CHECK_MESSAGE(stored.find("COLLATE") == std::string::npos, stored);
        CHECK_MESSAGE(stored.find("latin1") == std::string::npos, stored);
        CHECK_MESSAGE(stored.find('`') == std::string::npos, stored);
        const auto range = copy::decodeRange(stored);
        if (!range.after || !range.through) ++open;
        const std::size_t columns = r[0] == std::optional<std::string>("comp") ? 2 : 1;
        if (range.after) CHECK(range.after->size() == columns);
        if (range.through) CHECK(range.through->size() == columns);
    }
    CHECK(open == 4);  // the first and the last chunk of each table
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
                   "TABLE_NAME = 'copy_chunk' AND COLUMN_NAME = 'where_sql'") == std::optional<std::string>("0"));
    CHECK(copy::verify(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink).identical);
}

TEST_CASE("kill -9 during a logical copy of latin1_swedish_ci and composite keys resumes row for row") {
    killAndResume(api::FullMode::Logical, "bounds-kill-logical", "bounds_kill_logical", false);
}

TEST_CASE("kill -9 during a physical copy of latin1_swedish_ci and composite keys resumes row for row") {
    killAndResume(api::FullMode::Physical, "bounds-kill-physical", "bounds_kill_physical", false);
}

TEST_CASE("kill -9 during a copy into keys in TiDB's mapped collation resumes row for row") {
    killAndResume(api::FullMode::Physical, "bounds-kill-mapped", "bounds_kill_mapped", true);
}

TEST_CASE("started chunks are cleared exactly on a target ordering the key as the source does") {
    clearStartedChunks("bounds-clear-same", "bounds_clear_same", false);
}

TEST_CASE("started chunks are cleared exactly on a target ordering the key otherwise (TiDB's mapped collation)") {
    clearStartedChunks("bounds-clear-mapped", "bounds_clear_mapped", true);
}

TEST_CASE("a chunk rendered for a TiDB target runs on the mapped collation and clears exactly the chunk's rows") {
    const std::string dbName = "bounds_tidb";
    reset("bounds-tidb", {dbName});
    createData(dbName, 900);
    createMappedTargets(dbName);
    auto s = source().connectRoot();
    copy::prepareReadSession(s);
    auto t = target().connectRoot();
    const auto info = copy::inspectTable(s, dbName, "lat");
    const auto chunks = copy::planChunks(s, info, 70);
    REQUIRE(chunks.size() >= 10);

    // TiDB's side by the mapping, as the copy renders it without reading the target.
    const copy::KeySide tidbSide = copy::expectedTargetKeySide(info, true);
    REQUIRE(tidbSide.columns.size() == 1);
    CHECK(tidbSide.columns[0].collation == kMapped);
    CHECK(copy::targetKeySide(t, info, true).columns[0].collation == kMapped);  // what the target table has
    CHECK_FALSE(copy::sameOrder(info, tidbSide));

    // The target holds every row of the source.
    t.execute("INSERT INTO " + info.qualified() + " (k, v) VALUES " + [&] {
        std::string values;
        for (int i = 0; i < 900; ++i)
            values += (values.empty() ? "" : ", ") + std::string("(_latin1 ") + db::hexLiteral(latinKey(i)) + ", 'v')";
        return values;
    }());
    const auto all = hexKeys(s, info, "");
    REQUIRE(all.size() == 900);
    REQUIRE(hexKeys(t, info, "") == all);

    const copy::KeySide sourceSide = copy::sourceKeySide(info);
    int differing = 0;
    std::set<std::string> left = all;
    for (auto& c : chunks) {
        const auto mine = hexKeys(s, info, copy::renderRange(info, c.range, sourceSide));
        // The range rendered for TiDB is accepted by a server with the mapped collation, and
        // selects other rows there: why the target is never cleared by range in this case.
        const std::string targetWhere = copy::renderRange(info, c.range, tidbSide);
        CHECK(targetWhere.find("latin1_swedish_ci") == std::string::npos);
        if (hexKeys(t, info, targetWhere) != mine) ++differing;
        // Clearing the chunk removes exactly its rows, none of another chunk.
        const auto deleted = copy::clearChunk(s, t, info, c.range, tidbSide);
        CHECK(deleted == mine.size());
        for (auto& k : mine) left.erase(k);
        CHECK(hexKeys(t, info, "") == left);
    }
    CHECK(differing > 0);
    CHECK(left.empty());
}

TEST_CASE("a copy checkpoint from a tidemark that stored ranges as SQL is refused with what to do") {
    const std::string jobName = "bounds-legacy", dbName = "bounds_legacy";
    reset(jobName, {dbName});
    createData(dbName, 50);
    { copy::Checkpoint cp(targetOptions(), jobName); }
    auto t = target().connectRoot();
    // The earlier schema: ranges in where_sql, no bounds.
    t.execute("ALTER TABLE tidemark_meta.copy_chunk ADD COLUMN where_sql LONGTEXT NULL");
    const std::string q = t.quote(jobName);
    t.execute("INSERT INTO tidemark_meta.copy_job (job, mode, state) VALUES (" + q + ", 'logical', 'copying')");
    t.execute("INSERT INTO tidemark_meta.copy_table (job, db, tbl, state, deferred_indexes, estimated_rows) VALUES (" +
              q + ", " + t.quote(dbName) + ", 'lat', 1, '[]', 50)");
    t.execute("INSERT INTO tidemark_meta.copy_chunk (job, db, tbl, chunk, where_sql, state) VALUES (" + q + ", " +
              t.quote(dbName) + ", 'lat', 0, '`k` <= _latin1 X''61'' COLLATE latin1_swedish_ci', 1)");

    RecordingSink sink;
    std::atomic<bool> stop{false};
    std::string message;
    try {
        copy::runFullCopy(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink, stop, testOptions(10));
    } catch (const copy::CopyError& e) {
        message = e.what();
    }
    MESSAGE(message);
    CHECK(message.find("earlier tidemark") != std::string::npos);
    CHECK(message.find("start the copy over") != std::string::npos);
    CHECK(message.find(jobName) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    // The checkpoint table was migrated, and nothing was written to the target's tables.
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tidemark_meta' AND "
                   "TABLE_NAME = 'copy_chunk' AND COLUMN_NAME = 'where_sql'") == std::optional<std::string>("0"));
    CHECK_FALSE(t.scalar("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + t.quote(dbName) +
                         " AND TABLE_NAME = 'lat'"));
    // Doing what it says lets the copy start over.
    for (const char* tbl : {"copy_job", "copy_snapshot", "copy_table", "copy_chunk"})
        t.execute(std::string("DELETE FROM tidemark_meta.") + tbl + " WHERE job = " + q);
    auto r = copy::runFullCopy(job(jobName, {dbName}), sourceOptions(), targetOptions(), sink, stop, testOptions(10));
    CHECK(r.rows == 100);
    checkSameRows(dbName);
}
