#include "runner/status/sources_status.h"

#include <algorithm>

namespace tidemark::status {

namespace {

using nlohmann::json;

// The block `block` of every source that reported it, in spec order.
std::vector<const json*> blocksOf(std::string_view block, const std::vector<std::string>& ids,
                                  const std::map<std::string, json>& perSource) {
    std::vector<const json*> out;
    for (const auto& id : ids) {
        auto it = perSource.find(id);
        if (it == perSource.end() || !it->second.contains(block)) continue;
        out.push_back(&it->second.at(std::string(block)));
    }
    return out;
}

double number(const json& j, const char* key) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

json summedFullCopy(const std::vector<std::string>& ids, const std::vector<const json*>& blocks) {
    json out = json::object();
    for (const char* key :
         {"tablesTotal", "tablesDone", "rowsCopied", "rowsEstimated", "bytesCopied", "bytesPerSecond"}) {
        std::uint64_t sum = 0;
        for (const json* b : blocks) sum += static_cast<std::uint64_t>(number(*b, key));
        out[key] = sum;
    }
    double percent = 100.0, left = 0.0;
    bool done = blocks.size() == ids.size();
    for (const json* b : blocks) {
        percent = std::min(percent, number(*b, "percent"));
        left = std::max(left, number(*b, "secondsLeft"));
        done = done && b->value("done", false);
    }
    if (blocks.size() < ids.size()) percent = 0.0;  // a source not started has copied nothing yet
    out["percent"] = percent;
    out["secondsLeft"] = static_cast<std::uint64_t>(left);
    out["done"] = done;
    return out;
}

json summedIncremental(const std::vector<std::string>& ids, const std::map<std::string, json>& perSource) {
    json out = json::object();
    std::uint64_t rows = 0, transactions = 0, rate = 0;
    double lag = 0.0;
    bool safeMode = false;
    json stalled = nullptr;
    json tables = json::object();  // a table several sources write: their rows summed
    std::string applied, read;
    for (const auto& id : ids) {
        auto it = perSource.find(id);
        if (it == perSource.end() || !it->second.contains("incremental")) continue;
        const json& b = it->second.at("incremental");
        rows += static_cast<std::uint64_t>(number(b, "rowsApplied"));
        transactions += static_cast<std::uint64_t>(number(b, "transactionsApplied"));
        rate += static_cast<std::uint64_t>(number(b, "rowsPerSecond"));
        lag = std::max(lag, number(b, "lagSeconds"));
        safeMode = safeMode || b.value("safeMode", false);
        if (stalled.is_null() && b.contains("stalled") && b["stalled"].is_object()) {
            stalled = b["stalled"];
            stalled["message"] = "source " + id + ": " + stalled.value("message", std::string());
        }
        auto position = [&](const char* key, std::string& into) {
            const std::string p = b.value(key, std::string());
            if (!p.empty()) into += (into.empty() ? "" : ", ") + id + " " + p;
        };
        position("appliedPosition", applied);
        position("sourcePosition", read);
        if (b.contains("failedDdl")) out["failedDdl"] = b["failedDdl"];
        if (b.contains("tables") && b["tables"].is_object())
            for (const auto& [name, t] : b["tables"].items()) {
                json& all = tables[name];
                if (!all.is_object()) all = json::object();
                all["rowsApplied"] =
                    all.value("rowsApplied", std::uint64_t{0}) + t.value("rowsApplied", std::uint64_t{0});
                all["lastSourceCommit"] = std::max(all.value("lastSourceCommit", std::string()),
                                                   t.value("lastSourceCommit", std::string()));  // RFC 3339 sorts
            }
    }
    out["rowsApplied"] = rows;
    out["transactionsApplied"] = transactions;
    out["rowsPerSecond"] = rate;
    out["lagSeconds"] = lag;
    out["safeMode"] = safeMode;
    out["stalled"] = stalled;
    out["appliedPosition"] = applied;
    out["sourcePosition"] = read;
    if (!tables.empty()) out["tables"] = tables;
    return out;
}

}  // namespace

class SourcesStatus::SourceSink final : public StatusSink {
public:
    SourceSink(SourcesStatus& all, std::string id) : all_(all), id_(std::move(id)) {}
    void report(std::string_view block, const json& fields) override { all_.report(id_, block, fields); }
    void note(std::string_view message) override { all_.parent_.note("source " + id_ + ": " + std::string(message)); }
    void flush() override { all_.parent_.flush(); }

private:
    SourcesStatus& all_;
    const std::string id_;
};

SourcesStatus::SourcesStatus(StatusSink& parent, std::vector<std::string> sourceIds)
    : parent_(parent), ids_(std::move(sourceIds)) {}

std::unique_ptr<StatusSink> SourcesStatus::sinkFor(const std::string& id) {
    return std::make_unique<SourceSink>(*this, id);
}

json SourcesStatus::summed(std::string_view block, const std::vector<std::string>& ids,
                           const std::map<std::string, json>& perSource) {
    if (block == "fullCopy") return summedFullCopy(ids, blocksOf(block, ids, perSource));
    if (block == "incremental") return summedIncremental(ids, perSource);
    return nullptr;
}

void SourcesStatus::report(const std::string& id, std::string_view block, const json& fields) {
    std::lock_guard lock(mutex_);
    json& mine = perSource_[id][std::string(block)];
    if (!mine.is_object()) mine = json::object();
    mine.merge_patch(fields);
    parent_.report("sources", {{id, {{std::string(block), fields}}}});
    if (block == "lastError") {
        json error = fields;
        if (error.contains("message") && error["message"].is_string())
            error["message"] = "source " + id + ": " + error["message"].get<std::string>();
        parent_.report(block, error);
        return;
    }
    json total = summed(block, ids_, perSource_);
    if (!total.is_null()) parent_.report(block, total);
}

}  // namespace tidemark::status
