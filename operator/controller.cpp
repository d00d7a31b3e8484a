#include "operator/controller.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kube/errors.h"
#include "kube/event_recorder.h"
#include "kube/informer.h"
#include "kube/work_queue.h"
#include "operator/decide.h"
#include "operator/log.h"

namespace tidemark::op {

namespace {
using kube::ObjectKey;
namespace res = kube::resources;
}  // namespace

struct Controller::Impl {
    const kube::Client& client;
    ControllerConfig config;
    Metrics& metrics;
    kube::EventRecorder recorder;
    kube::WorkQueue queue{std::chrono::milliseconds(200), std::chrono::seconds(60)};
    std::vector<std::unique_ptr<kube::Informer>> jobInformers, podInformers;
    std::vector<std::thread> workers;
    std::thread resyncThread;
    std::atomic<bool> stopping{false};
    std::mutex stopMu;
    std::condition_variable stopCv;

    Impl(const kube::Client& c, ControllerConfig cfg, Metrics& m)
        : client(c), config(std::move(cfg)), metrics(m), recorder(c, "tidemark-operator", config.identity) {}

    std::vector<std::string> watchedNamespaces() const {
        return config.namespaces.empty() ? std::vector<std::string>{""} : config.namespaces;
    }

    void enqueueJob(const Json& job) { queue.add(ObjectKey::of(job).str()); }
    // Jobs waiting for a slot (job limit) or a target (physical copy) look again when another
    // job goes away or changes phase.
    void enqueueWaiting() {
        for (const auto& i : jobInformers)
            for (const auto& j : i->list()) {
                const std::string phase = str(j, "/status/phase");
                if (phase.empty() || phase == "Pending") enqueueJob(j);
            }
    }

    void enqueueOwner(const Json& pod) {
        const std::string job = str(pod, "/metadata/labels/tidemark.dev~1job");
        if (!job.empty()) queue.add(str(pod, "/metadata/namespace", "default") + "/" + job);
    }

    void startInformers() {
        for (const auto& ns : watchedNamespaces()) {
            kube::WatcherOptions jobs;
            jobs.resource = res::kMigrationJobs;
            jobs.namespace_ = ns;
            jobs.onError = [](const std::string& e) { log::warn("watch of migrationjobs", {{"error", e}}); };
            auto ji = std::make_unique<kube::Informer>(client, jobs);
            ji->addHandlers({[this](const Json& o) { enqueueJob(o); },
                             [this](const Json& old, const Json& n) {
                                 enqueueJob(n);
                                 if (str(old, "/status/phase") != str(n, "/status/phase")) enqueueWaiting();
                             },
                             [this](const Json& o) {
                                 metrics.forgetJob(ObjectKey::of(o).str());
                                 log::info("job gone", {{"job", ObjectKey::of(o).str()}});
                                 enqueueWaiting();
                             }});
            kube::WatcherOptions pods;
            pods.resource = res::kPods;
            pods.namespace_ = ns;
            pods.selectors.labelSelector = std::string(names::kLabelApp) + "=" + names::kRunnerApp;
            pods.onError = [](const std::string& e) { log::warn("watch of runner pods", {{"error", e}}); };
            auto pi = std::make_unique<kube::Informer>(client, pods);
            pi->addHandlers({[this](const Json& o) { enqueueOwner(o); },
                             [this](const Json&, const Json& n) { enqueueOwner(n); },
                             [this](const Json& o) { enqueueOwner(o); }});
            jobInformers.push_back(std::move(ji));
            podInformers.push_back(std::move(pi));
        }
        // Started only once the lists are complete: handlers read jobInformers.
        for (auto& i : jobInformers) i->start();
        for (auto& i : podInformers) i->start();
    }

    std::vector<Json> allJobs() const {
        std::vector<Json> out;
        for (const auto& i : jobInformers) {
            auto l = i->list();
            out.insert(out.end(), std::make_move_iterator(l.begin()), std::make_move_iterator(l.end()));
        }
        return out;
    }

    void worker() {
        while (auto key = queue.get()) {
            try {
                reconcileKey(*key);
                metrics.countReconcile(true);
            } catch (const std::exception& e) {
                metrics.countReconcile(false);
                log::warn("reconcile failed; retrying", {{"job", *key}, {"error", e.what()}});
                queue.addRateLimited(*key);
            }
            queue.done(*key);
        }
    }

    void reconcileKey(const std::string& key) {
        const ObjectKey k = ObjectKey::parse(key);
        // Fresh reads: the decision must not act on a stale cache (it would start a second pod).
        auto job = client.tryGet(res::kMigrationJobs, k);
        if (!job) {
            metrics.forgetJob(key);
            queue.forget(key);
            return;
        }
        kube::ListOptions lo;
        lo.selectors.labelSelector = std::string(names::kLabelJob) + "=" + k.name;
        Observed observed{*job,        client.list(res::kPods, k.namespace_, lo).items, allJobs(), Clock::now(), {},
                          std::nullopt};
        observed.podEvents = pendingPodEvents(k.namespace_, observed.pods);
        Decision d = decide(observed, config.settings);
        Json after = *job;
        try {
            for (const auto& a : d.actions) {
                execute(*job, a);
                metrics.countAction(actionKind(a));
                if (auto p = std::get_if<action::PatchStatus>(&a)) after["status"].merge_patch(p->status);
            }
        } catch (const PodRefused& refused) {
            // Only this reconcile sees the refusal: decide again with it, so the job records why.
            log::warn("runner pod refused",
                      {{"job", key},
                       {"pod", refused.refusal.podName},
                       {"code", refused.refusal.code},
                       {"error", refused.refusal.message}});
            auto fresh = client.tryGet(res::kMigrationJobs, k);
            if (!fresh) return;
            Observed again{*fresh,      client.list(res::kPods, k.namespace_, lo).items, allJobs(), Clock::now(), {},
                           std::nullopt};
            again.podEvents = pendingPodEvents(k.namespace_, again.pods);
            again.refused = refused.refusal;
            d = decide(again, config.settings);
            after = *fresh;
            for (const auto& a : d.actions) {
                if (std::holds_alternative<action::CreatePod>(a)) continue;  // never within the same reconcile
                execute(*fresh, a);
                metrics.countAction(actionKind(a));
                if (auto p = std::get_if<action::PatchStatus>(&a)) after["status"].merge_patch(p->status);
            }
        }
        if (!d.actions.empty())
            log::debug("reconciled", {{"job", key}, {"phase", d.phase}, {"actions", d.actions.size()}});
        metrics.observeJob(after);
        queue.forget(key);
        if (d.requeueAfter) queue.addAfter(key, *d.requeueAfter);
    }

    // The API server's refusal of a runner pod (admission), as opposed to a failed request.
    struct PodRefused : std::runtime_error {
        PodRefusal refusal;
        explicit PodRefused(PodRefusal r) : std::runtime_error(r.message), refusal(std::move(r)) {}
    };

    // Warning Events about the pods that have not started: a kubelet reports a missing Secret or
    // an image it cannot pull there. Read only for pending pods, so a running job costs nothing.
    std::vector<Json> pendingPodEvents(const std::string& ns, const std::vector<Json>& pods) const {
        std::vector<Json> out;
        for (const auto& p : pods) {
            if (str(p, "/status/phase", "Pending") != "Pending" || at(p, "/metadata/deletionTimestamp")) continue;
            kube::ListOptions eo;
            eo.selectors.fieldSelector =
                "involvedObject.kind=Pod,involvedObject.name=" + str(p, "/metadata/name") + ",type=Warning";
            try {
                auto events = client.list(res::kEvents, ns, eo).items;
                std::sort(events.begin(), events.end(), [](const Json& a, const Json& b) {
                    return str(a, "/lastTimestamp", str(a, "/eventTime")) <
                        str(b, "/lastTimestamp", str(b, "/eventTime"));
                });
                out.insert(out.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
            } catch (const kube::ApiError& e) {
                // Without `list events` (an older chart's RBAC) the job still shows the pod's own status.
                log::debug("events of a pending runner pod not readable",
                           {{"pod", str(p, "/metadata/name")}, {"error", e.what()}});
            }
        }
        return out;
    }

    static std::string actionKind(const Action& a) {
        static const char* kinds[] = {"AddFinalizer", "RemoveFinalizer",  "CreatePod", "DeletePod",
                                      "PatchStatus",  "PatchAnnotations", "Event"};
        return kinds[a.index()];
    }

    void execute(const Json& job, const Action& a) {
        const ObjectKey key = ObjectKey::of(job);
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, action::AddFinalizer> || std::is_same_v<T, action::RemoveFinalizer>) {
                    Json finalizers = job["metadata"].value("finalizers", Json::array());
                    if constexpr (std::is_same_v<T, action::AddFinalizer>) {
                        finalizers.push_back(names::kFinalizer);
                    } else {
                        Json kept = Json::array();
                        for (const auto& f : finalizers)
                            if (f != names::kFinalizer) kept.push_back(f);
                        finalizers = kept;
                    }
                    // The resourceVersion makes a concurrent change of the list a Conflict (retried).
                    client.patch(
                        res::kMigrationJobs, key,
                        {{"metadata",
                          {{"finalizers", finalizers}, {"resourceVersion", str(job, "/metadata/resourceVersion")}}}});
                    log::info(std::is_same_v<T, action::AddFinalizer> ? "finalizer added" : "finalizer removed",
                              {{"job", key.str()}});
                } else if constexpr (std::is_same_v<T, action::CreatePod>) {
                    const ObjectKey cmKey = ObjectKey::of(x.configMap);
                    try {
                        client.create(res::kConfigMaps, x.configMap);
                    } catch (const kube::ApiError& e) {
                        if (!e.isAlreadyExists()) throw;
                        client.patch(res::kConfigMaps, cmKey, {{"data", x.configMap["data"]}});
                    }
                    try {
                        client.create(res::kPods, x.pod);
                        log::info("runner pod created",
                                  {{"job", key.str()},
                                   {"pod", str(x.pod, "/metadata/name")},
                                   {"args", x.pod["spec"]["containers"][0]["args"]}});
                    } catch (const kube::ApiError& e) {
                        if (e.isAlreadyExists()) return;
                        // 400/403/422: admission said no (ServiceAccount, Pod Security, quota, a webhook).
                        if (e.code() != 400 && e.code() != 403 && e.code() != 422) throw;
                        try {
                            client.remove(res::kConfigMaps, cmKey);  // no pod will read it
                        } catch (const kube::ApiError&) {}
                        throw PodRefused(PodRefusal{str(x.pod, "/metadata/name"), e.code(), e.reason(), e.message()});
                    }
                } else if constexpr (std::is_same_v<T, action::DeletePod>) {
                    for (const auto* r : {&res::kPods, &res::kConfigMaps}) {
                        try {
                            client.remove(*r, {key.namespace_, x.name});
                        } catch (const kube::ApiError& e) {
                            if (!e.isNotFound()) throw;
                        }
                    }
                    log::info("runner pod deleted", {{"job", key.str()}, {"pod", x.name}});
                } else if constexpr (std::is_same_v<T, action::PatchStatus>) {
                    client.patchStatus(res::kMigrationJobs, key, {{"status", x.status}});
                    if (x.status.contains("phase"))
                        log::info("phase", {{"job", key.str()}, {"phase", x.status["phase"]}});
                } else if constexpr (std::is_same_v<T, action::PatchAnnotations>) {
                    client.patch(res::kMigrationJobs, key, {{"metadata", {{"annotations", x.annotations}}}});
                } else if constexpr (std::is_same_v<T, action::Event>) {
                    log::info("event",
                              {{"job", key.str()},
                               {"type", x.warning ? "Warning" : "Normal"},
                               {"reason", x.reason},
                               {"message", x.message}});
                    try {
                        recorder.record(job, x.warning ? kube::EventType::Warning : kube::EventType::Normal, x.reason,
                                        x.message);
                    } catch (const std::exception& e) {
                        log::warn("event not recorded",
                                  {{"job", key.str()}, {"reason", x.reason}, {"error", e.what()}});
                    }
                }
            },
            a);
    }

    void resync() {
        std::unique_lock lock(stopMu);
        while (!stopping) {
            stopCv.wait_for(lock, config.resync, [&] { return stopping.load(); });
            if (stopping) break;
            for (const auto& j : allJobs()) enqueueJob(j);
        }
    }
};

Controller::Controller(const kube::Client& client, ControllerConfig config, Metrics& metrics)
    : impl_(std::make_unique<Impl>(client, std::move(config), metrics)) {}

Controller::~Controller() { stop(); }

void Controller::start() {
    impl_->startInformers();
    for (int i = 0; i < impl_->config.workers; ++i) impl_->workers.emplace_back([this] { impl_->worker(); });
    impl_->resyncThread = std::thread([this] { impl_->resync(); });
    log::info("controller started",
              {{"namespaces", impl_->config.namespaces.empty() ? Json("*") : Json(impl_->config.namespaces)},
               {"workers", impl_->config.workers}});
}

void Controller::stop() {
    {
        std::lock_guard lock(impl_->stopMu);
        if (impl_->stopping.exchange(true)) return;
    }
    impl_->stopCv.notify_all();
    for (auto& i : impl_->jobInformers) i->stop();
    for (auto& i : impl_->podInformers) i->stop();
    impl_->queue.shutdown();
    for (auto& w : impl_->workers)
        if (w.joinable()) w.join();
    if (impl_->resyncThread.joinable()) impl_->resyncThread.join();
}

bool Controller::synced() const {
    for (const auto& i : impl_->jobInformers)
        if (!i->hasSynced()) return false;
    for (const auto& i : impl_->podInformers)
        if (!i->hasSynced()) return false;
    return !impl_->jobInformers.empty();
}

void Controller::reconcile(const std::string& key) { impl_->reconcileKey(key); }

}  // namespace tidemark::op
