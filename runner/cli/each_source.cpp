#include "runner/cli/each_source.h"

#include "api/runner_contract.h"

#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

namespace tidemark::cli {

int forEachSource(std::size_t sources, const std::atomic<bool>& outer,
                  const std::function<int(std::size_t, const std::atomic<bool>&)>& work) {
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> running{sources};
    std::mutex m;
    int first = api::contract::kExitOk;  // the first nonzero status
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < sources; ++i) {
        threads.emplace_back([&, i] {
            int status = api::contract::kExitFailed;
            try {
                status = work(i, stop);
            } catch (const std::exception& e) {
                std::cerr << "tidemark-runner: " << e.what() << "\n";
            }
            if (status != api::contract::kExitOk) {
                std::lock_guard lock(m);
                if (first == api::contract::kExitOk) first = status;
                stop = true;
            }
            --running;
        });
    }
    while (running > 0) {
        if (outer) stop = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (auto& t : threads) t.join();
    return first;
}

}  // namespace tidemark::cli
