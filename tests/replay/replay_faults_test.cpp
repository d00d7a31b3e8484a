// Replay against TiDB's errors without a TiDB: injected faults (runner/db/fault_injection.h) make
// replay's target transactions fail with each class of TiDB error while a write load runs on
// the source, and the target must end up equal to the source row for row, keyed and keyless
// tables alike. Also: one source transaction larger than limits.maxTxnBytes is applied in pieces,
// and a replay stopped between pieces resumes without loss or duplicates.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <regex>

#include "runner/db/fault_injection.h"
#include "runner/replay/errors.h"
#include "tests/replay/replay_fixture.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace std::chrono_literals;

namespace {

// The statement text that carries a piece's data and checkpoint row, up to its COMMIT.
constexpr const char* kPieceCommit = "REPLACE INTO `tidemark_meta`.`replay_checkpoint`";

db::InjectedFault fault(unsigned code, int times, std::string match = kPieceCommit, bool after = false) {
    db::InjectedFault f;
    f.role = "target";
    f.code = code;
    f.times = times;
    f.match = std::move(match);
    f.afterExecute = after;
    return f;
}

struct Faults {
    explicit Faults(const std::vector<db::InjectedFault>& faults) {
        db::clearFaults();
        for (const auto& f : faults) db::injectFault(f);
    }
    ~Faults() { db::clearFaults(); }
};

// Replays `database` under SourceLoad with `faults` injected into the target, then compares.
void replayUnderFaults(const std::string& database, const std::vector<db::InjectedFault>& faults,
                       RecordingSink* notes = nullptr) {
    createLoadTables(database);
    const auto start = sourceNow();
    auto options = startingAt(start, 3);
    options.maxBatchRows = 60;
    Faults injected(faults);
    {
        SourceLoad load(database);
        BackgroundReplay r(jobFor("rf-" + database, {database}), options);
        for (int i = 0; i < 300 && db::faultsFired() < static_cast<int>(faults.size()); ++i)
            std::this_thread::sleep_for(100ms);
        std::this_thread::sleep_for(500ms);
        load.stop();
        MESSAGE("source transactions: " << load.transactions() << ", faults fired: " << db::faultsFired());
        CHECK(waitSame(database, "k", 90s));
        CHECK(waitSame(database, "n", 90s));
        r.stop();  // rethrows if replay gave up
        if (notes)
            for (auto& n : r.sink().notes()) notes->note(n);
    }
    CHECK(db::faultsFired() > 0);
    checkSame(database, "k");
    checkSame(database, "n");
}

int targetTransactions(const RecordingSink& sink) {
    static const std::regex took(R"(took (\d+) target transactions)");
    int n = 0;
    for (const auto& note : sink.notes()) {
        std::smatch m;
        if (std::regex_search(note, m, took)) n += std::stoi(m[1]);
    }
    return n;
}

// db.big (id, v, tag, pad) with `rows` rows on both servers, written before the returned position.
replay::Position bigTable(const std::string& database, int rows) {
    freshDatabase(database);
    for (DbServer* server : {&sharedSource(), &sharedTarget()}) {
        auto c = server->connectRoot();
        c.execute("CREATE TABLE " + database + ".big (id INT PRIMARY KEY, v INT, tag VARCHAR(20), pad VARCHAR(100))");
        for (int from = 1; from <= rows; from += 1000) {
            std::string sql = "INSERT INTO " + database + ".big VALUES ";
            for (int id = from; id < from + 1000 && id <= rows; ++id) {
                if (id != from) sql += ",";
                sql += "(" + std::to_string(id) + "," + std::to_string(id) + ",'" +
                    (id == rows / 2 ? "mark-" + std::to_string(id) : std::string("row")) + "',REPEAT('p',90))";
            }
            c.execute(sql);
        }
    }
    return sourceNow();
}

}  // namespace

TEST_CASE("write_conflicts_9007_are_rolled_back_and_retried_without_loss_or_duplicates") {
    replayUnderFaults("fw", {fault(9007, 6)});
}

TEST_CASE("region_unavailable_9005_is_retried_with_longer_backoff_without_loss_or_duplicates") {
    replayUnderFaults("fr", {fault(9005, 3)});
}

TEST_CASE("information_schema_changed_8028_is_rolled_back_explicitly_and_retried") {
    replayUnderFaults("fi",
                      {fault(8028, 4), fault(8028, 2, "START TRANSACTION;\nUPDATE `tidemark_meta`.`replay_fence`")});
}

TEST_CASE("a_commit_whose_answer_is_lost_is_settled_by_the_checkpoint_row_not_applied_twice") {
    // The pieces commit on the server, then the client sees a lost connection: outcome unknown.
    replayUnderFaults("fc", {fault(2013, 5, kPieceCommit, /*after=*/true)});
}

TEST_CASE("transaction_too_large_8004_is_retried_in_smaller_pieces_without_loss_or_duplicates") {
    createLoadTables("fs");
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    // One source transaction of 300 keyless rows, the one the faults hit (three halvings).
    s.execute("INSERT INTO fs.n VALUES " + [] {
        std::string v;
        for (int i = 0; i < 300; ++i) v += std::string(i ? "," : "") + "(" + std::to_string(i) + ", 'split-me')";
        return v;
    }());
    Faults injected({fault(8004, 3, "split-me")});
    RecordingSink sink;
    {
        SourceLoad load("fs");
        std::this_thread::sleep_for(1s);
        load.stop();
        catchUp(jobFor("rf-fs", {"fs"}), startingAt(start, 3), &sink);
    }
    CHECK(db::faultsFired() == 3);
    CHECK(targetTransactions(sink) >= 8);  // the share of 300 rows, in eighths after three halvings
    checkSame("fs", "k");
    checkSame("fs", "n");
}

TEST_CASE("an_entry_too_large_stops_replay_naming_the_table_and_the_key") {
    createLoadTables("fe");
    const auto start = sourceNow();
    auto s = sharedSource().connectRoot();
    s.execute("INSERT INTO fe.k VALUES (1, 1, 'small'), (2, 2, 'small')");
    s.execute("INSERT INTO fe.k VALUES (3, 3, 'small'), (777, 7, 'huge-row'), (4, 4, 'small')");
    Faults injected({fault(8025, 100, "huge-row")});
    try {
        catchUp(jobFor("rf-fe", {"fe"}), startingAt(start, 1));
        FAIL("an entry too large should stop replay");
    } catch (const replay::ReplayError& e) {
        const std::string msg = e.what();
        CHECK_FALSE(e.retryable());
        CHECK(msg.find("`fe`.`k`") != std::string::npos);
        CHECK(msg.find("`id`=777") != std::string::npos);
        CHECK(msg.find("txn-entry-size-limit") != std::string::npos);
    }
    // Everything before the row is in the target, the row and what follows it in its share are not.
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM fe.k WHERE id IN (1, 2, 3)") == std::optional<std::string>("3"));
    CHECK(t.scalar("SELECT COUNT(*) FROM fe.k WHERE id = 777") == std::optional<std::string>("0"));
}

TEST_CASE("a_source_transaction_larger_than_the_limit_is_applied_in_pieces_and_equals_the_source") {
    const auto start = bigTable("fb", 50000);
    sharedSource().exec("UPDATE fb.big SET v = v + 1");  // one transaction of 50000 row changes
    auto options = startingAt(start, 2);
    options.limits.maxTxnBytes = 256u << 10;
    RecordingSink sink;
    catchUp(jobFor("rf-big", {"fb"}), options, &sink);
    for (auto& n : sink.notes())
        if (n.find("target transactions") != std::string::npos) MESSAGE(n);
    // Its rows need about 7 MB of SQL: at 256 KiB a piece, at least 20 pieces over the two shares.
    CHECK(targetTransactions(sink) >= 20);
    checkSame("fb", "big");
}

TEST_CASE("a_replay_stopped_between_pieces_of_a_large_transaction_resumes_without_loss_or_duplicates") {
    bigTable("fp", 50000);
    for (DbServer* server : {&sharedSource(), &sharedTarget()})
        server->exec("CREATE TABLE fp.bag (id INT, tag VARCHAR(20), pad VARCHAR(100))");  // no key
    const auto start = sourceNow();
    // One source transaction: 50000 keyed updates and 50000 keyless inserts (applied twice, those
    // would show as duplicates).
    auto s = sharedSource().connectRoot();
    s.execute("START TRANSACTION");
    s.execute("UPDATE fp.big SET v = v + 1");
    s.execute("INSERT INTO fp.bag SELECT id, REPLACE(tag, 'mark', 'bag'), pad FROM fp.big");
    s.execute("COMMIT");
    auto options = startingAt(start, 2);
    options.limits.maxTxnBytes = 256u << 10;
    const auto job = jobFor("rf-pieces", {"fp"});
    auto t = sharedTarget().connectRoot();
    auto applied = [&] {
        return std::stoll(t.scalar("SELECT COUNT(*) FROM fp.big WHERE v = id + 1").value_or("0")) +
            std::stoll(t.scalar("SELECT COUNT(*) FROM fp.bag").value_or("0"));
    };
    {
        // A fatal error in the piece that holds the marked keyless row, half way through its share.
        Faults injected({fault(1366, 1, "bag-25000")});
        CHECK_THROWS_AS(catchUp(job, options), replay::ReplayError);
        CHECK(db::faultsFired() == 1);
    }
    MESSAGE("row changes applied before the stop: " << applied());
    CHECK(applied() > 0);
    CHECK(applied() < 100000);
    CHECK(std::stoull(t.scalar("SELECT MAX(next_change) FROM tidemark_meta.replay_checkpoint WHERE job = "
                               "'rf-pieces'")
                          .value_or("0")) > 0);

    RecordingSink sink;
    catchUp(job, options, &sink);
    CHECK(sink.noted("resuming inside batch"));
    CHECK(sink.noted("resumed at change"));
    checkSame("fp", "big");
    checkSame("fp", "bag");
    CHECK(applied() == 100000);
}

TEST_CASE("a_ddl_the_target_refuses_stops_replay_naming_its_position_and_spec_ddl_skip_goes_on_without_it") {
    freshDatabase("rskip");
    auto s = sharedSource().connectRoot();
    s.execute("CREATE TABLE rskip.t (id INT PRIMARY KEY, b INT)");
    sharedTarget().exec("CREATE TABLE rskip.t (id INT PRIMARY KEY, b INT)");
    const auto start = sourceNow();
    s.execute("INSERT INTO rskip.t VALUES (1, 10), (2, 20)");
    s.execute("ALTER TABLE rskip.t ADD INDEX b_idx (b)");
    s.execute("INSERT INTO rskip.t VALUES (3, 30)");
    s.execute("UPDATE rskip.t SET b = 21 WHERE id = 2");
    auto job = jobFor("rt-ddl-skip", {"rskip"});

    std::string position;
    {
        // What TiDB answers for a DDL it cannot run: a server error that is not transient.
        Faults faults({fault(8200, 100, "ADD INDEX b_idx")});
        try {
            catchUp(job, startingAt(start, 2));
            FAIL("the refused DDL should stop replay");
        } catch (const replay::DdlRejectedError& e) {
            position = e.position;
            CHECK(std::string(e.what()).find("at source position " + e.position) != std::string::npos);
            CHECK(e.statement.find("ADD INDEX b_idx") != std::string::npos);
            CHECK(e.error.find("8200") != std::string::npos);
        }
        CHECK(db::faultsFired() > 0);
    }
    REQUIRE(!position.empty());
    // Without the skip the same DDL stops it again (nothing was checkpointed past it).
    {
        Faults faults({fault(8200, 100, "ADD INDEX b_idx")});
        CHECK_THROWS_AS(catchUp(job, startingAt(start, 2)), replay::DdlRejectedError);
    }
    auto options = startingAt(start, 2);
    options.skipDdl.insert(position);
    RecordingSink sink;
    catchUp(job, options, &sink);
    checkSame("rskip", "t");
    const auto skipped = sink.last()["skippedDdl"];
    INFO("position: ", position, "; notes: ", nlohmann::json(sink.notes()).dump());
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0]["position"] == position);
    CHECK(skipped[0]["statement"].get<std::string>().find("ADD INDEX b_idx") != std::string::npos);
    CHECK(sink.last()["failedDdl"].is_null());
    auto t = sharedTarget().connectRoot();
    CHECK(t.scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'rskip' AND "
                   "INDEX_NAME = 'b_idx'") == std::optional<std::string>("0"));
}
