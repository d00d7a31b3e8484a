// Replay into tables without a key changes exactly the row the source changed: every column
// is matched exactly (a DOUBLE by its value, a FLOAT as the server compares it, NULLs, -0.0
// against 0.0, strings by their bytes under a case- and pad-insensitive collation), and one of
// identical rows is changed when the source changed one. Source and target are compared row for
// row with duplicates counted (tableRows: HEX of every column, sorted).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;

namespace {

// Runs `statements` on the source after creating the database, then replays them all.
void replayOnSource(const std::string& database, const std::vector<std::string>& statements) {
    freshDatabase(database);
    auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    for (const auto& sql : statements) s.execute(sql);
    catchUp(jobFor("kf-" + database, {database}), startingAt(start));
}

}  // namespace

TEST_CASE("the_issue_case_update_and_delete_of_a_double_row_change_that_row") {
    // The rows differ only in their DOUBLE column; the old match ignored it and changed the first.
    replayOnSource("kf_issue",
                   {
                       "CREATE TABLE kf_issue.t (a INT, b VARCHAR(5), c DOUBLE)",
                       "INSERT INTO kf_issue.t VALUES (1, 'x', 1/3), (1, 'x', 2/3), (1, 'x', 1.0)",
                       "UPDATE kf_issue.t SET c = c + 10 WHERE c > 0.5 AND c < 0.9",
                       "DELETE FROM kf_issue.t WHERE c = 1.0",
                   });
    checkSame("kf_issue", "t");
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM kf_issue.t WHERE c > 10") == std::optional<std::string>("1"));
    CHECK(t.scalar("SELECT COUNT(*) FROM kf_issue.t WHERE c < 0.5") == std::optional<std::string>("1"));
}

TEST_CASE("doubles_that_are_not_short_decimals_match_by_their_exact_value") {
    replayOnSource("kf_double",
                   {
                       "CREATE TABLE kf_double.t (a INT, c DOUBLE)",
                       "INSERT INTO kf_double.t VALUES (1, 1e0/3e0), (1, 2e0/3e0), (1, 0.1e0 + 0.2e0), (1, 0.3e0), "
                       "(1, 1e300), (1, 4.9e-324), (1, -1e0/7e0), (1, 1.2345678901234567e23)",
                       "UPDATE kf_double.t SET a = 2 WHERE c = 0.1e0 + 0.2e0",  // not 0.3
                       "DELETE FROM kf_double.t WHERE c = 2e0/3e0",
                       "UPDATE kf_double.t SET c = -c WHERE c = 4.9e-324",
                       "DELETE FROM kf_double.t WHERE c = 1.2345678901234567e23",
                       "UPDATE kf_double.t SET a = 3 WHERE c < 0",
                   });
    checkSame("kf_double", "t");
}

TEST_CASE("floats_match_as_the_server_compares_a_float_column") {
    replayOnSource("kf_float",
                   {
                       "CREATE TABLE kf_float.t (a INT, f FLOAT)",
                       "INSERT INTO kf_float.t VALUES (1, 0.1), (1, 0.2), (1, 1e0/3e0), (1, 16777217), "
                       "(1, 16777216.5), (1, 3.4e38), (1, 1e-40), (1, -2.5)",
                       "UPDATE kf_float.t SET a = 2 WHERE f > 0.15 AND f < 0.25",
                       "DELETE FROM kf_float.t WHERE f > 0.3 AND f < 0.4",
                       "UPDATE kf_float.t SET f = f / 2 WHERE f > 1e38",
                       "DELETE FROM kf_float.t WHERE f > 0 AND f < 1e-30",
                       "UPDATE kf_float.t SET a = 4 WHERE f < 0",
                       "DELETE FROM kf_float.t WHERE f > 0.05 AND f < 0.15",
                   });
    checkSame("kf_float", "t");
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM kf_float.t") == std::optional<std::string>("5"));  // 8 rows, 3 deleted
}

TEST_CASE("one_of_identical_rows_is_changed_and_duplicates_are_counted") {
    replayOnSource("kf_dup",
                   {
                       "CREATE TABLE kf_dup.t (a INT, b VARCHAR(5), c DOUBLE, f FLOAT)",
                       "INSERT INTO kf_dup.t VALUES (1, 'x', 1e0/3e0, 0.1), (1, 'x', 1e0/3e0, 0.1), "
                       "(1, 'x', 1e0/3e0, 0.1), (1, 'x', 2e0/3e0, 0.1), (1, 'x', 2e0/3e0, 0.1)",
                       "DELETE FROM kf_dup.t WHERE c < 0.5 LIMIT 1",
                       "UPDATE kf_dup.t SET a = 2 WHERE c > 0.5 LIMIT 1",
                       "UPDATE kf_dup.t SET f = 0.2 WHERE c < 0.5 LIMIT 1",
                       "INSERT INTO kf_dup.t SELECT * FROM kf_dup.t WHERE a = 1",
                       "DELETE FROM kf_dup.t WHERE f > 0.15 LIMIT 1",
                   });
    checkSame("kf_dup", "t");
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM kf_dup.t") == std::optional<std::string>("6"));
}

TEST_CASE("nulls_match_with_null_safe_equality") {
    replayOnSource("kf_null",
                   {
                       "CREATE TABLE kf_null.t (a INT, b VARCHAR(5), c DOUBLE)",
                       "INSERT INTO kf_null.t VALUES (1, NULL, NULL), (1, NULL, 0.5), (1, 'x', NULL), "
                       "(NULL, NULL, NULL), (NULL, NULL, NULL)",
                       "UPDATE kf_null.t SET a = 2 WHERE b IS NULL AND c = 0.5",
                       "DELETE FROM kf_null.t WHERE a = 1 AND b = 'x'",
                       "UPDATE kf_null.t SET c = 1 WHERE a IS NULL LIMIT 1",
                       "DELETE FROM kf_null.t WHERE a = 1 AND b IS NULL AND c IS NULL",
                   });
    checkSame("kf_null", "t");
}

TEST_CASE("zero_and_negative_zero_and_strings_equal_under_the_collation_keep_their_identity") {
    // MySQL keeps -0.0 (MariaDB stores 0): rows equal under `=` but not identical; the same for
    // 'a', 'A' and 'a ' under a case-insensitive PAD SPACE collation.
    replayOnSource("kf_ident",
                   {
                       "CREATE TABLE kf_ident.t (a INT, b VARCHAR(5), c DOUBLE) DEFAULT CHARSET=utf8mb4 "
                       "COLLATE=utf8mb4_general_ci",
                       "INSERT INTO kf_ident.t VALUES (1, 'a', -0e0), (1, 'a', 0e0), (2, 'a', 1), (2, 'A', 1), "
                       "(2, 'a ', 1), (3, 'A', 1)",
                       "DELETE FROM kf_ident.t WHERE a = 1 AND CAST(c AS CHAR) = '0' LIMIT 1",
                       "UPDATE kf_ident.t SET a = 4 WHERE a = 2 AND CAST(b AS BINARY) = 'A'",
                       "DELETE FROM kf_ident.t WHERE a = 2 AND CAST(b AS BINARY) = 'a '",
                   });
    checkSame("kf_ident", "t");
}
