// Progress of the copy, reported as the status block `fullCopy` about once a second, and the
// export throttle that keeps reads under the capacity's MiB/s cap.
#pragma once

#include "runner/copy/full_copy.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace tidemark::copy {

class Progress {
public:
    Progress(status::StatusSink& sink, std::string mode);
    ~Progress();  // stops the reporter thread

    std::atomic<std::uint64_t> tablesTotal{0}, tablesDone{0};
    std::atomic<std::uint64_t> rowsCopied{0}, bytesCopied{0};
    std::atomic<std::uint64_t> rowsEstimated{0}, bytesEstimated{0};

    void setSnapshot(const BinlogPosition& position, double lockSeconds, bool resumed);
    // Rows and bytes copied by earlier runs: counted as copied, not in this run's rate.
    void setCopiedBefore(std::uint64_t rows, std::uint64_t bytes);
    void start();  // reports every second from a thread until stop()
    void stop();
    void report(bool final = false);  // one report now

private:
    status::StatusSink& sink_;
    std::string mode_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
    BinlogPosition position_;
    double lockSeconds_ = 0;
    bool resumed_ = false;
    std::uint64_t rowsBefore_ = 0, bytesBefore_ = 0;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// A token bucket shared by all readers: acquire(n) sleeps so that bytes/second stay under the
// cap (with up to a quarter second of burst). A cap <= 0 means no limit.
class Throttle {
public:
    explicit Throttle(double mibPerSecond);
    void acquire(std::uint64_t bytes);

private:
    double bytesPerSecond_;
    std::mutex mutex_;
    double available_ = 0;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace tidemark::copy
