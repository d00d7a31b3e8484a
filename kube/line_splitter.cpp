#include "kube/line_splitter.h"

namespace tidemark::kube {

void LineSplitter::feed(std::string_view data, const std::function<void(std::string_view line)>& onLine) {
    auto emit = [&](std::string_view line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) onLine(line);
    };
    size_t start = 0;
    while (true) {
        size_t nl = data.find('\n', start);
        if (nl == std::string_view::npos) break;
        std::string_view piece = data.substr(start, nl - start);
        if (pending_.empty()) {
            emit(piece);
        } else {
            pending_.append(piece);
            std::string line = std::move(pending_);
            pending_.clear();
            emit(line);
        }
        start = nl + 1;
    }
    pending_.append(data.substr(start));
}

}  // namespace tidemark::kube
