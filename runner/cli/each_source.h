// Running a job of several sources (spec.sources) in one process: every source's work at once,
// each on a thread of its own with its own stream and checkpoints (its Job: commands.h).
//
// Contracts:
//  - work(i, stop) runs for every index at once and returns that source's exit status.
//  - The first source to fail (a nonzero status) stops the others: they see `stop` set, end as
//    they do on SIGTERM (resumable), and the run's status is that first failure's. A SIGTERM
//    (`outer`) stops them all. Ok only when every source's work returned ok.
//  - An exception escaping work() counts as kExitFailed for that source (work() should report
//    its failures itself).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

namespace tidemark::cli {

int forEachSource(std::size_t sources, const std::atomic<bool>& outer,
                  const std::function<int(std::size_t, const std::atomic<bool>&)>& work);

}  // namespace tidemark::cli
