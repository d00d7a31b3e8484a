#include "runner/status/prometheus.h"

#include <charconv>
#include <cmath>

#ifndef TIDEMARK_VERSION
#error "TIDEMARK_VERSION must be defined (runner/status/CMakeLists.txt)"
#endif

namespace tidemark::status {

std::string prometheusLabel(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string prometheusNumber(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // Below 2^53 every integer is exact in a double: print it digit for digit, so a row count
    // reads the same on a dashboard as in `kubectl describe`.
    if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) return std::to_string(static_cast<long long>(v));
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    return std::string(buf, r.ptr);
}

Exposition& Exposition::family(const Family& f) {
    out_ << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " " << f.type << "\n";
    return *this;
}

Exposition& Exposition::sample(const Family& f, const Labels& labels, double value) {
    out_ << f.name;
    if (!labels.empty()) {
        out_ << "{";
        for (size_t i = 0; i < labels.size(); ++i)
            out_ << (i ? "," : "") << labels[i].first << "=\"" << prometheusLabel(labels[i].second) << "\"";
        out_ << "}";
    }
    out_ << " " << prometheusNumber(value) << "\n";
    return *this;
}

const char* buildVersion() { return TIDEMARK_VERSION; }

void addBuildInfo(Exposition& out, const std::string& component) {
    out.family(metric::kBuildInfo)
        .sample(metric::kBuildInfo, {{"component", component}, {"version", buildVersion()}}, 1);
}

}  // namespace tidemark::status
