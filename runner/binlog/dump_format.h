// Text rendering of decoded events in the format of `mariadb-binlog -vv
// --base64-output=decode-rows`, the format of the fixtures' .decoded.txt files.
//
// Only the lines that describe events and row images are reproduced: "# at N", the
// "#YYMMDD hh:mm:ss server id ..." header line, "# Ignorable event type ...", the "###" row
// lines and "# Number of rows: N". Like mariadb-binlog, rows events are held back until the
// statement ends (STMT_END_F) and then printed together. Values are shown the way that tool
// shows them (integers as signed with the unsigned reading in parentheses, TIMESTAMP as epoch
// seconds, ENUM as index, SET as bits), which is a display format, not SQL. Extra detail that
// mariadb-binlog does not print goes on lines starting with "#~ ".
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "runner/binlog/events.h"

namespace tidemark::binlog {

class DumpPrinter {
public:
    explicit DumpPrinter(std::ostream& out) : out_(out) {}
    void print(const Event& ev);
    // Prints rows still held back (a file that ends mid-statement).
    void finish();

private:
    void flushRows();
    void printHeaderLine(const Event& ev, const std::string& description);

    std::ostream& out_;
    std::vector<Event> heldRows_;
    std::vector<std::string> heldHeaders_;
};

}  // namespace tidemark::binlog
