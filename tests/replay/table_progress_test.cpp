// Replay's progress per target table (status.incremental.tables), without a server: a committed
// batch's row changes counted by the table they were written to, a merged table counting every
// shard, with the newest source commit time.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <mutex>

#include "runner/replay/progress.h"
#include "runner/replay/schema_tracker.h"

using namespace tidemark;
using namespace tidemark::replay;

namespace {

class LastIncremental final : public status::StatusSink {
public:
    void report(std::string_view block, const nlohmann::json& fields) override {
        std::lock_guard lock(m_);
        if (block == "incremental") last_.merge_patch(fields);
    }
    void note(std::string_view) override {}
    void flush() override {}
    nlohmann::json last() const {
        std::lock_guard lock(m_);
        return last_;
    }

private:
    mutable std::mutex m_;
    nlohmann::json last_ = nlohmann::json::object();
};

std::shared_ptr<const TableSchema> table(const std::string& db, const std::string& name, const std::string& target) {
    auto t = std::make_shared<TableSchema>();
    t->database = db;
    t->name = name;
    t->qualified = target;
    return t;
}

}  // namespace

TEST_CASE("replay progress per target table: shards of a merged table add up, the newest commit time kept") {
    LastIncremental sink;
    {
        Progress progress(sink);
        const auto a = table("shop_1", "orders", "`shop`.`orders`");
        const auto b = table("shop_2", "orders", "`shop`.`orders`");
        const auto audit = table("app", "odd`name", "`app`.`odd``name`");
        Batch first;
        first.changes = {{a}, {a}, {b}, {audit}};
        first.lastTimestamp = 1796540000;  // 2026-12-06T...
        progress.committed(first);
        Batch second;
        second.changes = {{b}, {b}};
        second.lastTimestamp = 1796540060;
        progress.committed(second);
        progress.committed(Batch{});  // a checkpoint-only batch changes nothing
        progress.report(ProgressSample{}, true);
    }
    const auto tables = sink.last()["tables"];
    REQUIRE(tables.is_object());
    CHECK(tables.size() == 2);
    CHECK(tables["shop.orders"]["rowsApplied"] == 5);
    CHECK(tables["shop.orders"]["lastSourceCommit"] == status::rfc3339(1796540060));
    CHECK(tables["app.odd`name"]["rowsApplied"] == 1);
    CHECK(tables["app.odd`name"]["lastSourceCommit"] == status::rfc3339(1796540000));
}

TEST_CASE("replay progress per target table: only the busiest tables are listed") {
    LastIncremental sink;
    {
        Progress progress(sink);
        Batch batch;
        batch.lastTimestamp = 1796540000;
        std::vector<std::shared_ptr<const TableSchema>> tables;
        for (std::size_t i = 0; i < Progress::kMaxTables + 10; ++i) {
            tables.push_back(table("d", "t" + std::to_string(i), "`d`.`t" + std::to_string(i) + "`"));
            for (std::size_t n = 0; n <= i; ++n) batch.changes.push_back({tables.back()});
        }
        progress.committed(batch);
        progress.report(ProgressSample{}, true);
    }
    const auto tables = sink.last()["tables"];
    CHECK(tables.size() == Progress::kMaxTables);
    CHECK(tables.contains("d.t59"));
    CHECK_FALSE(tables.contains("d.t0"));  // the fewest rows
}
