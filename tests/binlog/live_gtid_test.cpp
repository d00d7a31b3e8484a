// Tagged GTIDs (MySQL 8.3+) on a live MySQL server: GTID_TAGGED events decode with their tag,
// they add up to the server's executed set in MySQL's text, and a set with tags, encoded for
// COM_BINLOG_DUMP_GTID, makes the server resume right after it.
#include <doctest/doctest.h>

#include <chrono>

#include "runner/binlog/event_decoder.h"
#include "runner/replay/binlog_streamer.h"
#include "runner/replay/position.h"
#include "tests/binlog/live_binlog.h"

using namespace tidemark;
using namespace tidemark::testing;
using namespace tidemark::testing::live;

namespace {

// The executed set as MySQL prints it, without the newline it puts after each comma.
std::string executed(db::Connection& c) {
    std::string s = c.scalar("SELECT @@GLOBAL.gtid_executed").value_or("");
    std::erase(s, '\n');
    return s;
}

}  // namespace

TEST_CASE("tagged_gtids_decode_with_their_tag_and_add_up_to_the_executed_set") {
    MYSQL_ONLY("MariaDB GTIDs have no tags");
    START_OR_SKIP(server, sourceOptions());
    auto w = server.connectRoot();
    const std::string uuid = *w.scalar("SELECT @@server_uuid");
    const std::string other = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    w.execute("CREATE DATABASE lv");
    w.execute("CREATE TABLE lv.t (id INT PRIMARY KEY)");
    w.execute("SET gtid_next = 'AUTOMATIC:Batch_1'");  // tags are kept lower case
    w.execute("INSERT INTO lv.t VALUES (1)");
    w.execute("INSERT INTO lv.t VALUES (2)");
    w.execute("SET gtid_next = 'AUTOMATIC'");
    w.execute("INSERT INTO lv.t VALUES (3)");
    w.execute("SET gtid_next = 'AUTOMATIC:a'");
    w.execute("INSERT INTO lv.t VALUES (4)");
    // A transaction of another source, tagged, with a number of its own.
    w.execute("SET gtid_next = '" + other + ":imported:100'");
    w.execute("INSERT INTO lv.t VALUES (5)");
    w.execute("SET gtid_next = 'AUTOMATIC'");
    const std::string before = executed(w);

    const auto events = decodeAllBinlogs(server);
    std::vector<std::string> gtids;
    replay::GtidSet set;
    for (const auto& ev : events) {
        const auto* g = ev.as<binlog::MysqlGtid>();
        if (!g) continue;
        CHECK(ev.header.eventType() == (g->tag.empty() ? binlog::EventType::Gtid : binlog::EventType::GtidTagged));
        gtids.push_back(g->text());
        set.addMysql(g->tsidText(), g->gno);
    }
    REQUIRE(gtids.size() == 7);
    CHECK(gtids[0] == uuid + ":1");
    CHECK(gtids[2] == uuid + ":batch_1:1");
    CHECK(gtids[3] == uuid + ":batch_1:2");
    CHECK(gtids[4] == uuid + ":3");
    CHECK(gtids[5] == uuid + ":a:1");
    CHECK(gtids[6] == other + ":imported:100");
    // Transaction by transaction, the decoded GTIDs make the server's own set, in its text.
    CHECK(set.text() == before);
    const std::string mine = uuid + ":1-3:a:1:batch_1:1-2", theirs = other + ":imported:100";
    CHECK(before == (uuid < other ? mine + "," + theirs : theirs + "," + mine));  // by uuid, then tag
    CHECK(replay::GtidSet::parse(before).text() == before);
    // The file FLUSH BINARY LOGS opened starts with the same set, in the tagged format.
    const auto* previous = events.back().as<binlog::PreviousGtids>();
    REQUIRE(previous);
    CHECK(previous->text() == before);
}

TEST_CASE("a_gtid_set_with_tags_sent_in_com_binlog_dump_gtid_resumes_right_after_it") {
    MYSQL_ONLY("MariaDB GTIDs have no tags, and MariaDB resumes by @slave_connect_state");
    START_OR_SKIP(server, sourceOptions());
    auto w = server.connectRoot();
    const std::string uuid = *w.scalar("SELECT @@server_uuid");
    w.execute("CREATE DATABASE lv");
    w.execute("CREATE TABLE lv.t (id INT PRIMARY KEY)");
    w.execute("SET gtid_next = 'AUTOMATIC:t'");
    w.execute("INSERT INTO lv.t VALUES (1)");
    w.execute("SET gtid_next = 'AUTOMATIC'");
    const std::string resumeAt = executed(w);
    REQUIRE(resumeAt == uuid + ":1-2:t:1");
    w.execute("SET gtid_next = 'AUTOMATIC:T'");
    w.execute("INSERT INTO lv.t VALUES (2)");
    w.execute("SET gtid_next = 'AUTOMATIC'");
    w.execute("INSERT INTO lv.t VALUES (3)");

    replay::BinlogStreamer streamer(server.rootOptions("source"), replay::StreamerOptions{});
    const auto info = streamer.start(replay::Position{"", 0, resumeAt});
    binlog::EventDecoder decoder(binlog::DecoderOptions{.checksumBeforeFde = info.checksum});
    std::vector<std::string> streamed;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string raw;
    std::vector<binlog::Event> out;
    while (streamed.size() < 2 && std::chrono::steady_clock::now() < deadline) {
        if (!streamer.next(raw, std::chrono::milliseconds(200))) continue;
        out.clear();
        decoder.decode(std::move(raw), out);
        for (const auto& ev : out)
            if (const auto* g = ev.as<binlog::MysqlGtid>()) streamed.push_back(g->text());
    }
    streamer.stop();
    // Only what the set lacks: the second tagged transaction, then the next untagged one.
    CHECK(streamed == std::vector<std::string>{uuid + ":t:2", uuid + ":3"});
}
