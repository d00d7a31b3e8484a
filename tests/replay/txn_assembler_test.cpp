// The stream part of replay (runner/replay/txn_assembler.h) without a server: which steps decoded
// events become, where the stream position stands when each step is handed on, and the GTID set
// the positions carry.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/replay/txn_assembler.h"

#include <string>
#include <vector>

#include "runner/replay/errors.h"

using namespace tidemark;
using namespace tidemark::replay;

namespace {

class SilentSink : public status::StatusSink {
public:
    void report(std::string_view, const nlohmann::json&) override {}
    void note(std::string_view message) override { notes.emplace_back(message); }
    void flush() override {}
    std::vector<std::string> notes;
};

// Records every step as one line, with the assembler's own position at that moment.
class Recorder : public TxnSteps, public DdlSteps {
public:
    void transactionEnded(SourceTxn& txn, const Position& at, const Position& end, uint32_t commitTime,
                          const std::string& xaXid) override {
        log("txn " + at.text() + " -> " + end.text() + " [" + end.gtidSet + "] t" + std::to_string(commitTime) +
            (xaXid.empty() ? "" : " xa " + xaXid) + (txn.split ? " split" : ""));
    }
    void transactionTooLarge(SourceTxn&, const Position& at) override { log("too large at " + at.text()); }
    void xaEnded(bool commit, const std::string& xid, const Position& at, const Position& end, uint32_t) override {
        log(std::string(commit ? "xa commit " : "xa rollback ") + xid + " " + at.text() + " -> " + end.text());
    }
    void reached(const Position& at) override { log("reached " + at.text() + " [" + at.gtidSet + "]"); }
    bool ddl(const SourceStatement& s) override {
        log("ddl `" + s.query.statement + "` " + s.at.text() + " -> " + s.end.text());
        return runDdl;
    }

    void log(const std::string& line) {
        steps.push_back(line + " | stream at " + (stream ? stream->position().text() : "?"));
    }

    const TxnAssembler* stream = nullptr;  // to see its position while a step is handed on
    bool runDdl = true;
    std::vector<std::string> steps;
};

binlog::Event event(uint64_t position, uint64_t next, binlog::EventBody body, uint32_t time = 100) {
    binlog::Event ev;
    ev.header.timestamp = time;
    ev.position = position;
    ev.nextPosition = next;
    ev.body = std::move(body);
    return ev;
}

binlog::Query query(binlog::QueryKind kind, std::string statement = "") {
    binlog::Query q;
    q.kind = kind;
    q.statement = std::move(statement);
    q.schema = "d";
    return q;
}

binlog::MariaGtid mariaGtid(uint64_t seq) {
    binlog::MariaGtid g;
    g.seqNo = seq;
    g.domainId = 0;
    g.serverId = 1;
    return g;
}

SourceInfo startAt(const std::string& file, uint64_t pos, const std::string& gtid = "") {
    SourceInfo info;
    info.start = Position{file, pos, gtid};
    return info;
}

struct Fixture {
    explicit Fixture(SourceInfo info = startAt("bin.000001", 4), InsideTxn resume = {})
        : tracker(objects),
          progress(sink),
          selection(job, progress),
          assembler(info, tracker, objects, options, progress, sink, steps, steps, selection, resume) {
        steps.stream = &assembler;
    }

    api::ObjectSelection objects;
    ReplayOptions options;
    SilentSink sink;
    SchemaTracker tracker;
    Progress progress;
    api::MigrationJob job;
    RowSelection selection;
    Recorder steps;
    TxnAssembler assembler;
};

}  // namespace

TEST_CASE("a transaction ends at its commit, with its GTID in the set, and the stream is already there") {
    Fixture f(startAt("bin.000001", 4, "0-1-4"));
    f.assembler.handle(event(4, 50, mariaGtid(5)));
    f.assembler.handle(event(50, 120, binlog::Xid{}, 107));
    REQUIRE(f.steps.steps.size() == 1);
    CHECK(f.steps.steps[0] == "txn bin.000001:4 -> bin.000001:120 [0-1-5] t107 | stream at bin.000001:120");
    CHECK(f.assembler.position().gtidSet == "0-1-5");
    CHECK(f.assembler.openTxn() == nullptr);
}

TEST_CASE("while a transaction is open it is the oldest pending one") {
    Fixture f;
    f.assembler.handle(event(4, 50, query(binlog::QueryKind::Begin), 99));
    REQUIRE(f.assembler.openTxn() != nullptr);
    CHECK(f.assembler.openTxn()->firstTimestamp == 99);
    f.assembler.handle(event(50, 80, query(binlog::QueryKind::Commit)));
    CHECK(f.assembler.openTxn() == nullptr);
}

TEST_CASE("a source whose GTID set was unknown at the start puts no GTIDs in positions") {
    SourceInfo info = startAt("bin.000001", 4);
    info.gtidKnown = false;
    Fixture f(info);
    f.assembler.handle(event(4, 50, mariaGtid(5)));
    f.assembler.handle(event(50, 120, binlog::Xid{}));
    CHECK(f.assembler.position().gtidSet.empty());
}

TEST_CASE("a rotation between transactions is a boundary, inside one it is not") {
    Fixture f;
    binlog::Rotate r;
    r.nextFile = "bin.000002";
    r.position = 4;
    f.assembler.handle(event(200, 0, r));
    REQUIRE(f.steps.steps.size() == 1);
    CHECK(f.steps.steps[0] == "reached bin.000002:4 [] | stream at bin.000002:4");

    f.assembler.handle(event(4, 40, query(binlog::QueryKind::Begin)));
    r.nextFile = "bin.000003";
    f.assembler.handle(event(40, 0, r));
    CHECK(f.steps.steps.size() == 1);
    CHECK(f.assembler.position().file == "bin.000002");
}

TEST_CASE("a DDL is handed on before the stream moves past it, and a skipped one is then a boundary") {
    Fixture f;
    f.assembler.handle(event(4, 90, query(binlog::QueryKind::Other, "CREATE TABLE t (a INT)")));
    REQUIRE(f.steps.steps.size() == 1);
    CHECK(f.steps.steps[0] == "ddl `CREATE TABLE t (a INT)` bin.000001:4 -> bin.000001:90 | stream at bin.000001:4");
    CHECK(f.assembler.position().pos == 90);

    f.steps.runDdl = false;
    f.assembler.handle(event(90, 150, query(binlog::QueryKind::Other, "GRANT ALL ON *.* TO u")));
    REQUIRE(f.steps.steps.size() == 3);
    CHECK(f.steps.steps[2] == "reached bin.000001:150 [] | stream at bin.000001:150");
}

TEST_CASE("XA COMMIT and XA ROLLBACK are steps of their own, with the id in normal form") {
    Fixture f;
    f.assembler.handle(event(4, 60, query(binlog::QueryKind::Xa, "XA COMMIT 'a','',1")));
    f.assembler.handle(event(60, 130, query(binlog::QueryKind::Xa, "xa rollback 0x62")));
    REQUIRE(f.steps.steps.size() == 2);
    CHECK(f.steps.steps[0] == "xa commit X'61',X'',1 bin.000001:4 -> bin.000001:60 | stream at bin.000001:60");
    CHECK(f.steps.steps[1] == "xa rollback X'62',X'',1 bin.000001:60 -> bin.000001:130 | stream at bin.000001:130");
}

TEST_CASE("an XA statement whose id cannot be read stops replay") {
    Fixture f;
    CHECK_THROWS_AS(f.assembler.handle(event(4, 60, query(binlog::QueryKind::Xa, "XA COMMIT"))), ReplayError);
}

TEST_CASE("a ROLLBACK with nothing kept only moves the stream, spending its GTID") {
    Fixture f(startAt("bin.000001", 4, "0-1-4"));
    f.assembler.handle(event(4, 40, mariaGtid(5)));
    f.assembler.handle(event(40, 70, query(binlog::QueryKind::Rollback)));
    REQUIRE(f.steps.steps.size() == 1);
    CHECK(f.steps.steps[0] == "reached bin.000001:70 [0-1-5] | stream at bin.000001:70");
}

TEST_CASE("a resumed transaction that ends before the changes its checkpoint counts stops replay") {
    Fixture f(startAt("bin.000001", 4), InsideTxn{Position{"bin.000001", 4, ""}, 3});
    f.assembler.handle(event(4, 40, query(binlog::QueryKind::Begin)));
    CHECK_THROWS_AS(f.assembler.handle(event(40, 70, binlog::Xid{})), ReplayError);
    CHECK(f.steps.steps.empty());
}
