// A MigrationJob and its runner pods, advanced through decide() one reconcile at a time the way
// the controller and the API server would: for the lifecycle tests (decide_test.cpp,
// lifecycle_test.cpp).
#pragma once

#include <algorithm>
#include <doctest/doctest.h>
#include <optional>
#include <utility>
#include <vector>

#include "tests/operator/fixtures.h"

namespace tidemark::op::testing {

// A job and its pods, advanced by decide() like the controller would: status patches and
// annotations applied, created pods appear Pending, deleted pods vanish.
struct World {
    Json job = makeJob();
    std::vector<Json> pods;
    std::vector<Json> others;
    Settings settings;
    Decision last;
    int clock = 0;
    std::vector<Json> events;           // Warning Events about pending pods
    std::optional<PodRefusal> refused;  // the next step's create was refused (one step only)

    Decision step(int now = -1) {
        if (now >= 0) clock = now;
        Observed o{job, pods, others, at(clock), events, std::nullopt};
        o.refused = std::exchange(refused, std::nullopt);
        last = decide(o, settings);
        applyDecision(job, last);
        for (const auto& a : last.actions) {
            if (auto c = std::get_if<action::CreatePod>(&a)) pods.push_back(makePod(c->pod, "Pending"));
            if (auto d = std::get_if<action::DeletePod>(&a))
                pods.erase(std::remove_if(pods.begin(), pods.end(),
                                          [&](const Json& p) { return p["metadata"]["name"] == d->name; }),
                           pods.end());
        }
        return last;
    }
    Json* pod(const std::string& role) {
        for (auto& p : pods)
            if (p["metadata"]["labels"]["tidemark.dev/role"] == role) return &p;
        return nullptr;
    }
    void finishPod(const std::string& role, int exitCode, int when = 0) {
        Json* p = pod(role);
        REQUIRE(p);
        *p = makePod(*p, exitCode == 0 ? "Succeeded" : "Failed", exitCode, at(when));
    }
    void runPod(const std::string& role) {
        Json* p = pod(role);
        REQUIRE(p);
        *p = makePod(*p, "Running");
    }
    std::string phase() const { return job["status"].value("phase", ""); }
    // Through precheck to a running runner.
    void toRunning() {
        step();
        finishPod("precheck", 0);
        step();
        runPod("run");
        step();
    }
    size_t creates() const { return actionsOf<action::CreatePod>(last).size(); }
    size_t deletes() const { return actionsOf<action::DeletePod>(last).size(); }
};

inline Json podArgs(const Decision& d) {
    return actionsOf<action::CreatePod>(d).at(0).pod["spec"]["containers"][0]["args"];
}
inline bool hasArg(const Json& args, const std::string& a) {
    return std::find(args.begin(), args.end(), Json(a)) != args.end();
}

}  // namespace tidemark::op::testing
