#include "runner/copy/progress.h"

#include <nlohmann/json.hpp>

#include "api/runner_contract.h"

#include <algorithm>
#include <cmath>

namespace tidemark::copy {

Progress::Progress(status::StatusSink& sink, std::string mode) : sink_(sink), mode_(std::move(mode)) {}

Progress::~Progress() { stop(); }

void Progress::setSnapshot(const BinlogPosition& position, double lockSeconds, bool resumed) {
    std::lock_guard lock(mutex_);
    position_ = position;
    lockSeconds_ = lockSeconds;
    resumed_ = resumed;
}

void Progress::setCopiedBefore(std::uint64_t rows, std::uint64_t bytes) {
    rowsBefore_ = rows;
    bytesBefore_ = bytes;
    rowsCopied += rows;
    bytesCopied += bytes;
}

void Progress::start() {
    started_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
            if (stopping_) break;
            lock.unlock();
            report();
            lock.lock();
        }
    });
}

void Progress::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Progress::report(bool final) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double bytes = static_cast<double>(bytesCopied.load());
    const double rows = static_cast<double>(rowsCopied.load());
    const double estRows = static_cast<double>(std::max<std::uint64_t>(rowsEstimated.load(), rowsCopied.load()));
    const double rate = elapsed > 0 ? (bytes - static_cast<double>(bytesBefore_)) / elapsed : 0;
    const double rowRate = elapsed > 0 ? (rows - static_cast<double>(rowsBefore_)) / elapsed : 0;
    double percent = final ? 100.0 : (estRows > 0 ? std::min(99.9, 100.0 * rows / estRows) : 0.0);
    // Row estimates are closer to what is read than on-disk sizes are.
    double left = final ? 0.0 : (rowRate > 0 && estRows > rows ? (estRows - rows) / rowRate : 0.0);
    nlohmann::json j;
    {
        std::lock_guard lock(mutex_);
        j = {{"tablesTotal", tablesTotal.load()},
             {"tablesDone", tablesDone.load()},
             {"rowsCopied", rowsCopied.load()},
             {"rowsEstimated", static_cast<std::uint64_t>(estRows)},
             {"bytesCopied", bytesCopied.load()},
             {"percent", std::round(percent * 10) / 10},
             {"bytesPerSecond", static_cast<std::uint64_t>(rate)},
             {"secondsLeft", static_cast<std::uint64_t>(left)},
             {"snapshotPosition", {{"file", position_.file}, {"pos", position_.pos}, {"gtidSet", position_.gtidSet}}},
             {"lockSeconds", lockSeconds_},
             {"resumed", resumed_},
             {"mode", mode_}};
    }
    j[std::string(api::contract::kFullCopyDone)] = final;
    sink_.report(std::string(api::contract::kBlockFullCopy), j);
}

Throttle::Throttle(double mibPerSecond) : bytesPerSecond_(mibPerSecond * 1024 * 1024) {}

void Throttle::acquire(std::uint64_t bytes) {
    if (bytesPerSecond_ <= 0) return;
    std::chrono::duration<double> wait{0};
    {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        available_ = std::min(bytesPerSecond_ / 4,
                              available_ + std::chrono::duration<double>(now - last_).count() * bytesPerSecond_);
        last_ = now;
        available_ -= static_cast<double>(bytes);
        if (available_ < 0) wait = std::chrono::duration<double>(-available_ / bytesPerSecond_);
    }
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

}  // namespace tidemark::copy
