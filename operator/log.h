// Structured logs on stderr through spdlog: one JSON object per line ({"time", "level", "msg",
// ...fields}) or, with --log-format text, "time level msg key=value ...". Never log secret data.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tidemark::op::log {

void setup(const std::string& format, const std::string& level);  // before the first line
void debug(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object());
void info(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object());
void warn(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object());
void error(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object());

}  // namespace tidemark::op::log
