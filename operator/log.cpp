#include "operator/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace tidemark::op::log {

namespace {
std::atomic<bool> g_json{true};

void write(spdlog::level::level_enum level, const std::string& msg, const nlohmann::json& fields) {
    if (!spdlog::should_log(level)) return;
    if (g_json) {
        nlohmann::json line = {{"level", spdlog::level::to_string_view(level).data()}, {"msg", msg}};
        if (fields.is_object())
            for (auto& [k, v] : fields.items()) line[k] = v;
        std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        spdlog::log(level, "{}", text.substr(1));  // the pattern opens the object with the time
    } else {
        std::string text = msg;
        if (fields.is_object())
            for (auto& [k, v] : fields.items())
                text += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
        spdlog::log(level, "{}", text);
    }
}
}  // namespace

void setup(const std::string& format, const std::string& level) {
    g_json = format != "text";
    auto logger = spdlog::stderr_logger_mt("tidemark-operator");
    spdlog::set_default_logger(logger);
    // JSON lines carry the time as the first field; text lines read like klog.
    spdlog::set_pattern(g_json ? "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",%v" : "%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                        spdlog::pattern_time_type::utc);
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::flush_on(spdlog::level::trace);
}

void debug(const std::string& msg, const nlohmann::json& fields) { write(spdlog::level::debug, msg, fields); }
void info(const std::string& msg, const nlohmann::json& fields) { write(spdlog::level::info, msg, fields); }
void warn(const std::string& msg, const nlohmann::json& fields) { write(spdlog::level::warn, msg, fields); }
void error(const std::string& msg, const nlohmann::json& fields) { write(spdlog::level::err, msg, fields); }

}  // namespace tidemark::op::log
