// XA transaction ids in one normal form, so the binlog's XA_PREPARE_LOG event and the later
// `XA COMMIT` / `XA ROLLBACK` statement (a group of its own, maybe much later in the stream) name
// the same transaction the same way: X'<hex gtrid>',X'<hex bqual>',<formatID> (lower-case hex,
// empty parts as X''), which is also valid SQL for an XA statement.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidemark::replay {

std::string formatXid(uint32_t formatId, std::string_view gtrid, std::string_view bqual);

struct XaStatement {
    enum class Kind { Start, End, Prepare, Commit, Rollback, Recover, Other };
    Kind kind = Kind::Other;
    std::string xid;        // normalized (formatXid); "" when the statement names none or it is unreadable
    bool onePhase = false;  // XA COMMIT ... ONE PHASE
};

// Reads an XA statement as the source logs it ("XA COMMIT X'61',X'',1", "XA START 'a','b',3",
// "xa rollback 0x61"). Components: X'hex', 0xhex, 'text' (with '' and \ escapes), or a number
// (the formatID); missing bqual = '', missing formatID = 1.
XaStatement parseXaStatement(std::string_view statement);

}  // namespace tidemark::replay
