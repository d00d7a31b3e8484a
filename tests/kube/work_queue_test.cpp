#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "kube/work_queue.h"

using namespace tidemark::kube;
using namespace std::chrono_literals;

TEST_CASE("work_queue_dedupes_a_key_added_while_queued") {
    WorkQueue q;
    q.add("a");
    q.add("b");
    q.add("a");
    CHECK(q.len() == 2);
    CHECK(q.get() == "a");
    CHECK(q.get() == "b");
    CHECK(q.len() == 0);
    CHECK_FALSE(q.get(10ms).has_value());
}

TEST_CASE("work_queue_never_hands_a_processing_key_to_a_second_worker") {
    WorkQueue q;
    q.add("a");
    auto key = q.get();
    REQUIRE(key == "a");
    q.add("a");  // changed again while being processed
    q.add("a");
    CHECK(q.len() == 0);
    CHECK_FALSE(q.get(20ms).has_value());  // not handed out meanwhile
    q.done("a");
    CHECK(q.len() == 1);  // re-queued once, however often it was added
    CHECK(q.get(10ms) == "a");
    q.done("a");
    CHECK_FALSE(q.get(10ms).has_value());  // done without a new add: gone
}

TEST_CASE("work_queue_concurrent_workers_process_each_key_exclusively") {
    WorkQueue q;
    std::mutex mu;
    std::map<std::string, int> inFlight;
    std::atomic<int> overlaps{0}, processed{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
        workers.emplace_back([&] {
            while (auto key = q.get()) {
                {
                    std::lock_guard lock(mu);
                    if (++inFlight[*key] > 1) ++overlaps;
                }
                std::this_thread::sleep_for(200us);
                {
                    std::lock_guard lock(mu);
                    --inFlight[*key];
                }
                ++processed;
                q.done(*key);
            }
        });
    }
    for (int i = 0; i < 2000; ++i) q.add("k" + std::to_string(i % 3));
    // Let the workers drain, then stop them.
    for (int i = 0; i < 200 && (q.len() > 0); ++i) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(20ms);
    q.shutdown();
    for (auto& t : workers) t.join();
    CHECK(overlaps == 0);
    CHECK(processed > 0);
    CHECK(processed <= 2000);
}

TEST_CASE("exponential_backoff_doubles_from_5ms_to_a_1000s_cap_per_key") {
    ExponentialBackoff b;
    CHECK(b.when("a") == 5ms);
    CHECK(b.when("a") == 10ms);
    CHECK(b.when("a") == 20ms);
    CHECK(b.when("b") == 5ms);  // per key
    CHECK(b.numRequeues("a") == 3);
    for (int i = 0; i < 100; ++i) b.when("a");
    CHECK(b.when("a") == 1000s);
    b.forget("a");
    CHECK(b.numRequeues("a") == 0);
    CHECK(b.when("a") == 5ms);
}

TEST_CASE("work_queue_add_rate_limited_delays_by_the_key_backoff") {
    WorkQueue q(40ms, 1s);
    auto start = std::chrono::steady_clock::now();
    q.addRateLimited("a");
    CHECK(q.len() == 0);
    CHECK_FALSE(q.get(10ms).has_value());
    REQUIRE(q.get(1s) == "a");
    auto first = std::chrono::steady_clock::now() - start;
    CHECK(first >= 40ms);
    q.done("a");

    start = std::chrono::steady_clock::now();
    q.addRateLimited("a");  // second failure: 80 ms
    REQUIRE(q.get(1s) == "a");
    CHECK(std::chrono::steady_clock::now() - start >= 80ms);
    q.done("a");
    CHECK(q.numRequeues("a") == 2);

    // Two more failures (the key waits once, at its earliest time): the next delay would be
    // 40 ms * 2^4 = 640 ms. forget() brings it back to 40 ms.
    q.addRateLimited("a");
    q.addRateLimited("a");
    CHECK(q.numRequeues("a") == 4);
    REQUIRE(q.get(1s) == "a");
    q.done("a");
    q.forget("a");
    CHECK(q.numRequeues("a") == 0);
    start = std::chrono::steady_clock::now();
    q.addRateLimited("a");
    REQUIRE(q.get(1s) == "a");
    auto afterForget = std::chrono::steady_clock::now() - start;
    CHECK(afterForget >= 40ms);
    CHECK(afterForget < 400ms);
}

TEST_CASE("work_queue_add_after_orders_by_due_time_and_dedupes") {
    WorkQueue q;
    q.addAfter("late", 80ms);
    q.addAfter("early", 20ms);
    q.addAfter("early", 30ms);
    CHECK(q.get(1s) == "early");
    q.done("early");
    CHECK(q.get(1s) == "late");
    q.done("late");
    CHECK_FALSE(q.get(60ms).has_value());  // the second "early" was deduped while queued...
}

TEST_CASE("work_queue_blocking_get_wakes_for_a_delayed_key") {
    WorkQueue q;
    std::optional<std::string> got;
    std::thread worker([&] { got = q.get(); });
    std::this_thread::sleep_for(10ms);
    q.addAfter("x", 30ms);
    worker.join();
    CHECK(got == "x");
}

TEST_CASE("work_queue_shutdown_drains_then_unblocks_workers") {
    WorkQueue q;
    q.add("a");
    q.addAfter("delayed", 10s);
    q.shutdown();
    CHECK(q.shuttingDown());
    q.add("ignored");
    CHECK(q.get() == "a");  // what was queued is still handed out
    CHECK_FALSE(q.get().has_value());

    WorkQueue q2;
    std::atomic<bool> returned{false};
    std::thread worker([&] {
        auto k = q2.get();
        CHECK_FALSE(k.has_value());
        returned = true;
    });
    std::this_thread::sleep_for(20ms);
    CHECK_FALSE(returned);
    q2.shutdown();
    worker.join();
    CHECK(returned);
}
