#include "runner/filter/like_pattern.h"

namespace tidemark::filter {

LikePattern::LikePattern(std::string_view pattern, const std::function<std::string(std::string_view)>& encode) {
    std::string literal;  // the literal text read since the last wildcard
    const auto flush = [&] {
        for (char b : encode(literal)) tokens_.push_back(static_cast<unsigned char>(b));
        literal.clear();
    };
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            literal += pattern[++i];
        } else if (c == '%' || c == '_') {
            flush();
            tokens_.push_back(c == '%' ? kAnyRun : kAnyByte);
        } else {
            literal += c;
        }
    }
    flush();
}

bool LikePattern::matches(std::string_view subject) const {
    // Greedy matching that, on a mismatch, lets the last '%' absorb one more byte.
    size_t p = 0, s = 0;
    size_t lastRun = std::string::npos, runStart = 0;
    while (s < subject.size()) {
        const bool fits = p < tokens_.size() && tokens_[p] != kAnyRun &&
            (tokens_[p] == kAnyByte || tokens_[p] == static_cast<unsigned char>(subject[s]));
        if (fits) {
            ++p;
            ++s;
        } else if (p < tokens_.size() && tokens_[p] == kAnyRun) {
            lastRun = p++;
            runStart = s;
        } else if (lastRun != std::string::npos) {
            p = lastRun + 1;
            s = ++runStart;
        } else {
            return false;
        }
    }
    while (p < tokens_.size() && tokens_[p] == kAnyRun) ++p;
    return p == tokens_.size();
}

std::string LikePattern::bytesEscapedWith(char escape) const {
    std::string out;
    for (int16_t t : tokens_) {
        if (t == kAnyRun) {
            out += '%';
        } else if (t == kAnyByte) {
            out += '_';
        } else {
            const char b = static_cast<char>(t);
            if (b == '%' || b == '_' || b == escape) out += escape;
            out += b;
        }
    }
    return out;
}

}  // namespace tidemark::filter
