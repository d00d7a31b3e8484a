// GTID sets with MySQL 8.3+ tags (replay::GtidSet): parsing, merging and printing as MySQL does,
// and the binary encoding COM_BINLOG_DUMP_GTID takes, byte for byte as a MySQL 9.7 server
// wrote the same set into a PREVIOUS_GTIDS event.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <stdexcept>

#include "runner/binlog/gtid_events.h"
#include "runner/replay/position.h"
#include "event_builder.h"

using tidemark::binlog::test::Bytes;
using tidemark::replay::GtidSet;

namespace {

const std::string kUuid = "44061038-f184-11f1-a25c-02fc00000001";
const std::string kOther = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

// The body of the PREVIOUS_GTIDS event MySQL 9.7.4 wrote for kUuid:1-2:tag_x:1.
const std::string kServerEncoding = Bytes().hex(
    "01 02 00 00 00 00 00 01"
    "44 06 10 38 f1 84 11 f1 a2 5c 02 fc 00 00 00 01 00"
    "01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00"
    "44 06 10 38 f1 84 11 f1 a2 5c 02 fc 00 00 00 01 0a 74 61 67 5f 78"
    "01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00");

std::string previousGtidsText(const std::string& body) {
    tidemark::binlog::ByteReader r(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    return tidemark::binlog::parsePreviousGtids(r).text();
}

}  // namespace

TEST_CASE("gtid_sets_with_tags_parse_merge_and_print_as_mysql_does") {
    // Upper case, spaces, a tag before its intervals, intervals out of order and overlapping.
    auto set = GtidSet::parse(" 44061038-F184-11F1-A25C-02FC00000001:1-3:Tag_A:5:1-2 , " + kOther + ":x:7:2-3:1 ");
    CHECK(set.hasTags());
    CHECK(set.text() == kOther + ":x:1-3:7," + kUuid + ":1-3:tag_a:1-2:5");
    set.addMysql(kUuid + ":tag_a", 3);
    set.addMysql(kUuid + ":TAG_A", 4);  // the same tag
    set.addMysql(kUuid + ":b", 1);
    set.addMysql(kUuid, 4);
    // By uuid; under one uuid its untagged intervals first, then its tags in order.
    CHECK(set.text() == kOther + ":x:1-3:7," + kUuid + ":1-4:b:1:tag_a:1-5");
    CHECK(GtidSet::parse(set.text()).text() == set.text());
    // A tag alone, or "5-3", adds nothing (as in MySQL).
    CHECK(GtidSet::parse(kUuid + ":1:lonely").text() == kUuid + ":1");
    CHECK(GtidSet::parse(kUuid + ":5-3:7").text() == kUuid + ":7");
    CHECK_FALSE(GtidSet::parse(kUuid + ":1-9").hasTags());
}

TEST_CASE("malformed_tags_and_uuids_are_refused_with_the_set_named") {
    CHECK_THROWS_WITH_AS(GtidSet::parse(kUuid + ":bad-tag:1"), doctest::Contains("bad-tag"), std::invalid_argument);
    CHECK_THROWS_AS(GtidSet::parse(kUuid + ":" + std::string(33, 't') + ":1"), std::invalid_argument);
    CHECK_THROWS_AS(GtidSet::parse(kUuid + ":t@g:1"), std::invalid_argument);
    CHECK_THROWS_AS(GtidSet::parse(kUuid + ":0-3"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(GtidSet::parse("44061038-f184-11f1-a25c-02fc0000000g:1"), doctest::Contains("not a uuid"),
                         std::invalid_argument);
    GtidSet set;
    CHECK_THROWS_AS(set.addMysql(kUuid + ":9lives", 1), std::invalid_argument);
    CHECK(GtidSet::parse(kUuid + ":_under_score9:1").text() == kUuid + ":_under_score9:1");
}

TEST_CASE("the_tagged_encoding_is_byte_for_byte_what_mysql_writes") {
    const auto set = GtidSet::parse(kUuid + ":1-2:tag_x:1");
    CHECK(set.encodeMysql() == kServerEncoding);
    // And the decoder reads the server's bytes back to the same text.
    CHECK(previousGtidsText(kServerEncoding) == set.text());
}

TEST_CASE("untagged_sets_keep_the_format_older_servers_know") {
    const auto set = GtidSet::parse(kUuid + ":1-5:7," + kOther + ":3");
    const std::string bytes = set.encodeMysql();
    CHECK(bytes.size() == 8 + (16 + 8 + 2 * 16) + (16 + 8 + 16));
    CHECK(bytes.substr(0, 8) == Bytes().u64(2).str());  // a plain count: no format byte
    CHECK(previousGtidsText(bytes) == set.text());
    // Every shape of tagged set survives encoding and decoding.
    for (const std::string& text : {kUuid + ":a:1", kUuid + ":1:a:1-9:zz_top:3:5-6," + kOther + ":2",
                                    kOther + ":" + std::string(32, 'q') + ":1-1000000"}) {
        CAPTURE(text);
        const auto tagged = GtidSet::parse(text);
        CHECK(previousGtidsText(tagged.encodeMysql()) == tagged.text());
    }
}
