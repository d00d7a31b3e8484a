#pragma once
// Turns a byte stream that arrives in arbitrary chunks into complete '\n'-terminated lines:
// watch events are one JSON document per line, and HTTP chunk boundaries fall anywhere.

#include <functional>
#include <string>
#include <string_view>

namespace tidemark::kube {

class LineSplitter {
public:
    // Appends data and calls onLine for every line it completes, without the '\n' (and without a
    // trailing '\r'). Blank lines are skipped. The view is valid only during the call.
    void feed(std::string_view data, const std::function<void(std::string_view line)>& onLine);
    // Bytes received after the last '\n' (a partial line; at end of stream, a truncated event).
    const std::string& pending() const { return pending_; }
    void reset() { pending_.clear(); }

private:
    std::string pending_;
};

}  // namespace tidemark::kube
