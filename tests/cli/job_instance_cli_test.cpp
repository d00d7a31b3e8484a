// Job identity through tidemark-runner: progress in the target's tidemark_meta belongs to one job
// instance (name + uid / --job-id), so a re-created job starts over, a job of the same name in
// another namespace never meets the first one's checkpoints, `forget` deletes an instance's rows
// only, and a changed selection is refused instead of resumed with checkpoints made for another.
#include "tests/cli/cli_support.h"

#include <regex>

using namespace tidemark;
using namespace tidemark::testing;

namespace {

// The Setup's manifest under another metadata (namespace, uid, annotations).
std::string withMetadata(const std::string& manifest, const std::string& metadata) {
    return std::regex_replace(manifest, std::regex("metadata: \\{name: precheck-test\\}"),
                              "metadata: {name: precheck-test, " + metadata + "}");
}

std::string rowsCopied(const std::string& output) {
    std::smatch m;
    return std::regex_search(output, m, std::regex("full copy done: ([0-9]+) rows")) ? m[1].str() : "?";
}

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string count(const DbServer& server, const std::string& sql) {
    return server.connectRoot().scalar(sql).value_or("?");
}

}  // namespace

std::vector<std::string> withId(std::vector<std::string> args, const std::string& id) {
    args.push_back("--job-id");
    args.push_back(id);
    return args;
}

TEST_CASE("a job re-created under the same name copies again instead of reporting the old copy finished") {
    Setup s("Full");
    std::string out;
    REQUIRE(runToEnd(s.dir, withId(s.args("run"), "first"), &out) == 0);
    INFO(out);
    CHECK(rowsCopied(out) == "3500");
    // The same instance again: its copy is finished.
    REQUIRE(runToEnd(s.dir, withId(s.args("run"), "first"), &out) == 0);
    CHECK(out.find("already finished") != std::string::npos);

    // A new instance (a re-created job: a new uid) starts over. The user dropped the old copy.
    s.target.exec("DROP DATABASE app");
    REQUIRE(runToEnd(s.dir, withId(s.args("run"), "second"), &out) == 0);
    CHECK(out.find("already finished") == std::string::npos);
    CHECK(rowsCopied(out) == "3500");
    REQUIRE(runToEnd(s.dir, s.args("verify"), &out) == 0);
    CHECK(out.find("\"identical\": true") != std::string::npos);
    CHECK(count(s.target, "SELECT COUNT(*) FROM app.events") == "500");
}

TEST_CASE("jobs of one name in two namespaces keep their own checkpoints, and forget deletes one instance's only") {
    Setup s("Full");
    const std::string base = readFile(s.jobFile);
    const auto a = s.dir.write("a.yaml", withMetadata(base, "namespace: team-a, uid: 1111-aaaa")).string();
    const auto b = s.dir.write("b.yaml", withMetadata(base, "namespace: team-b, uid: 2222-bbbb")).string();
    auto args = [&](const std::string& command, const std::string& file) {
        return std::vector<std::string>{command,    "-f",  file, "--secrets-dir", s.secrets.path().string(),
                                        "--output", "json"};
    };
    std::string out;
    REQUIRE(runToEnd(s.dir, args("run", a), &out) == 0);
    CHECK(rowsCopied(out) == "3500");
    s.target.exec("DROP DATABASE app");
    REQUIRE(runToEnd(s.dir, args("run", b), &out) == 0);
    INFO(out);
    CHECK(out.find("already finished") == std::string::npos);
    CHECK(rowsCopied(out) == "3500");
    CHECK(count(s.target, "SELECT GROUP_CONCAT(job ORDER BY job) FROM tidemark_meta.copy_job") ==
          "precheck-test/1111-aaaa,precheck-test/2222-bbbb");

    REQUIRE(runToEnd(s.dir, args("forget", a), &out) == 0);
    CHECK(out.find("\"instance\":\"precheck-test/1111-aaaa\"") != std::string::npos);
    CHECK(count(s.target, "SELECT GROUP_CONCAT(job ORDER BY job) FROM tidemark_meta.copy_job") ==
          "precheck-test/2222-bbbb");
    CHECK(count(s.target, "SELECT COUNT(*) FROM tidemark_meta.copy_chunk WHERE job = 'precheck-test/1111-aaaa'") ==
          "0");
    CHECK(count(s.target, "SELECT COUNT(*) > 0 FROM tidemark_meta.copy_chunk WHERE job = 'precheck-test/2222-bbbb'") ==
          "1");
    // B is untouched: it is still finished.
    REQUIRE(runToEnd(s.dir, args("run", b), &out) == 0);
    CHECK(out.find("already finished") != std::string::npos);
}

TEST_CASE("a job whose selection changed after it started is refused, and resumes once the change is reverted") {
    Setup s("Full");
    std::string out;
    REQUIRE(runToEnd(s.dir, withId(s.args("run"), "x"), &out) == 0);
    const std::string original = readFile(s.jobFile);
    const std::string changed = std::regex_replace(original, std::regex("\\{include: \\[\\{database: app\\}\\]\\}"),
                                                   "{include: [{database: app, tables: [accounts]}]}");
    REQUIRE(changed != original);
    s.dir.write("job.yaml", changed);

    CHECK(runToEnd(s.dir, withId(s.args("precheck"), "x"), &out) == 1);
    INFO(out);
    CHECK(out.find("\"job_instance\"") != std::string::npos);
    CHECK(out.find("spec.objects was include") != std::string::npos);

    // As the operator runs it (the precheck passed before the edit): the runner refuses by itself.
    auto run = withId(s.args("run"), "x");
    run.push_back("--skip-precheck");
    CHECK(runToEnd(s.dir, run, &out) == 1);
    CHECK(out.find("spec.objects was include") != std::string::npos);
    CHECK(out.find("delete and re-create the job to start over") != std::string::npos);
    CHECK(count(s.target,
                "SELECT COUNT(*) FROM tidemark_meta.copy_job WHERE job = 'precheck-test/x' AND state = 'done'") == "1");

    s.dir.write("job.yaml", original);
    CHECK(runToEnd(s.dir, withId(s.args("precheck"), "x"), &out) == 0);
    CHECK(out.find("resumes from its checkpoints") != std::string::npos);
    REQUIRE(runToEnd(s.dir, withId(s.args("run"), "x"), &out) == 0);
    CHECK(out.find("already finished") != std::string::npos);
}

TEST_CASE("a job whose routes changed after it started is refused: its rows went to the recorded targets") {
    Setup s("Full");
    std::string out;
    REQUIRE(runToEnd(s.dir, withId(s.args("run"), "r"), &out) == 0);
    const std::string original = readFile(s.jobFile);
    s.dir.write("job.yaml", original + "  routes: [{database: app, table: accounts, targetDatabase: app2}]\n");
    CHECK(runToEnd(s.dir, withId(s.args("precheck"), "r"), &out) == 1);
    INFO(out);
    CHECK(out.find("spec.routes was , is [{") != std::string::npos);
    s.dir.write("job.yaml", original);
    CHECK(runToEnd(s.dir, withId(s.args("precheck"), "r"), &out) == 0);  // an instance recorded without routes
}
