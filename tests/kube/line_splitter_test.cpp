#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kube/line_splitter.h"

using tidemark::kube::LineSplitter;

namespace {
std::vector<std::string> feedAll(LineSplitter& s, const std::vector<std::string>& chunks) {
    std::vector<std::string> lines;
    for (const auto& c : chunks) s.feed(c, [&](std::string_view l) { lines.emplace_back(l); });
    return lines;
}
}  // namespace

TEST_CASE("line_splitter_joins_an_event_split_across_chunks") {
    LineSplitter s;
    auto lines = feedAll(s, {"{\"type\":\"ADD", "ED\"}\n{\"type\"", ":\"MODIFIED\"}\n"});
    CHECK(lines == std::vector<std::string>{R"({"type":"ADDED"})", R"({"type":"MODIFIED"})"});
    CHECK(s.pending().empty());
}

TEST_CASE("line_splitter_keeps_a_partial_tail_until_its_newline_arrives") {
    LineSplitter s;
    auto lines = feedAll(s, {"one\ntw"});
    CHECK(lines == std::vector<std::string>{"one"});
    CHECK(s.pending() == "tw");
    lines = feedAll(s, {"o"});
    CHECK(lines.empty());
    lines = feedAll(s, {"\n"});
    CHECK(lines == std::vector<std::string>{"two"});
    CHECK(s.pending().empty());
}

TEST_CASE("line_splitter_delivers_every_line_whatever_the_chunk_size") {
    std::string stream;
    std::vector<std::string> expected;
    for (int i = 0; i < 50; ++i) {
        std::string line = "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i * 7 % 300, 'x') + "\"}";
        expected.push_back(line);
        stream += line + "\n";
    }
    for (size_t chunk : {1u, 2u, 3u, 7u, 64u, 4096u, 100000u}) {
        LineSplitter s;
        std::vector<std::string> chunks;
        for (size_t i = 0; i < stream.size(); i += chunk) chunks.push_back(stream.substr(i, chunk));
        CAPTURE(chunk);
        CHECK(feedAll(s, chunks) == expected);
        CHECK(s.pending().empty());
    }
}

TEST_CASE("line_splitter_skips_blank_lines_and_strips_carriage_returns") {
    LineSplitter s;
    auto lines = feedAll(s, {"\n\r\na\r", "\n\n", "b\r\n"});
    CHECK(lines == std::vector<std::string>{"a", "b"});
}

TEST_CASE("line_splitter_reset_drops_the_partial_line") {
    LineSplitter s;
    feedAll(s, {"partial"});
    s.reset();
    auto lines = feedAll(s, {"next\n"});
    CHECK(lines == std::vector<std::string>{"next"});
}
