// Prints dialect::knownErrors() as the README's markdown table: what tidemark does with each
// error a MySQL, MariaDB or TiDB target (or the client library) returns.
//   build-dir/tests/db/tidemark-error-table > table.md
#include "runner/db/dialect/errors.h"

#include <cstdio>
#include <string>

namespace {

std::string action(tidemark::db::dialect::ErrorClass c) {
    using tidemark::db::dialect::ErrorClass;
    switch (c) {
        case ErrorClass::RetryTxn: return "retry the transaction with capped exponential backoff";
        case ErrorClass::Reconnect: return "reconnect, then retry (resend only what is idempotent)";
        case ErrorClass::Split: return "run it again in halves, down to one row";
        case ErrorClass::EntryTooLarge: return "fail, naming the table, the row's key and the setting to raise";
        case ErrorClass::Fatal: return "fail with the server's text";
    }
    return "";
}

std::string cell(std::string s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

int main() {
    std::printf("| Code | Server | Name | Class | Meaning | What tidemark does |\n");
    std::printf("|---:|---|---|---|---|---|\n");
    for (const auto& e : tidemark::db::dialect::knownErrors())
        std::printf("| %u | %s | `%s` | %s | %s | %s |\n", e.code, cell(e.server).c_str(), e.name,
                    std::string(tidemark::db::dialect::nameOf(e.cls)).c_str(), cell(e.meaning).c_str(),
                    action(e.cls).c_str());
    std::printf("| other 2000-2999 | client | | Reconnect | client-side errors | %s |\n",
                action(tidemark::db::dialect::ErrorClass::Reconnect).c_str());
    std::printf("| any other | | | Fatal | | %s |\n", action(tidemark::db::dialect::ErrorClass::Fatal).c_str());
    return 0;
}
