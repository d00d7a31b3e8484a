// tidemark-runner as a user runs it: exit status, one-line errors, and no secret in any output.
#include "tests/precheck/precheck_fixture.h"  // manifests and shared servers

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace tidemark::testing;

namespace {

struct Result {
    int status;
    std::string out, err;
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result runner(const TempDir& dir, const std::string& args) {
    const auto out = dir.path() / "out.txt", err = dir.path() / "err.txt";
    const std::string cmd =
        std::string(TIDEMARK_RUNNER) + " " + args + " > " + out.string() + " 2> " + err.string() + " < /dev/null";
    const int raw = std::system(cmd.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

std::size_t lines(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace

TEST_CASE("bad input exits 2 with one clear line and no stack trace") {
    TempDir dir("cli");
    SecretsDir secrets;
    auto job = [&](const std::string& text) { return dir.write("job.yaml", text).string(); };
    const auto base = manifest(sharedSource().port(), sharedTarget().port(), "");

    auto malformed =
        runner(dir, "precheck -f " + job("spec: [unclosed\n") + " --secrets-dir " + secrets.path().string());
    CHECK(malformed.status == 2);
    CHECK(malformed.err.find("malformed YAML") != std::string::npos);
    CHECK(lines(malformed.err) == 1);

    auto unknown =
        runner(dir, "precheck -f " + job(base + "  colour: blue\n") + " --secrets-dir " + secrets.path().string());
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("spec.colour: unknown field") != std::string::npos);
    CHECK(lines(unknown.err) == 1);

    auto wrongType =
        runner(dir, "precheck -f " + job(base + "  paused: sometimes\n") + " --secrets-dir " + secrets.path().string());
    CHECK(wrongType.status == 2);
    CHECK(wrongType.err.find("spec.paused: expected true or false") != std::string::npos);

    auto missingSecret = runner(dir, "precheck -f " + job(base) + " --secrets-dir " + secrets.path().string());
    CHECK(missingSecret.status == 2);
    CHECK(missingSecret.err.find("source: credentials secret 'src' is not mounted") != std::string::npos);
    CHECK(lines(missingSecret.err) == 1);

    secrets.credentials("src", "root", "");
    secrets.put("tgt", "username", "root");  // no password key
    auto missingKey = runner(dir, "precheck -f " + job(base) + " --secrets-dir " + secrets.path().string());
    CHECK(missingKey.status == 2);
    CHECK(missingKey.err.find("target: secret 'tgt' has no key 'password'") != std::string::npos);

    auto badSkip = runner(
        dir,
        "precheck -f " + job(base + "  precheck: {skip: [nonsense]}\n") + " --secrets-dir " + secrets.path().string());
    CHECK(badSkip.status == 2);
    CHECK(badSkip.err.find("spec.precheck.skip[0]: unknown item 'nonsense'") != std::string::npos);

    auto noFile = runner(dir, "precheck -f /nonexistent/job.yaml");
    CHECK(noFile.status == 2);
    CHECK(noFile.err.find("/nonexistent/job.yaml: cannot read the manifest file") != std::string::npos);

    auto usage = runner(dir, "");
    CHECK(usage.status == 2);
    CHECK(usage.err.find("missing command") != std::string::npos);
}

TEST_CASE("precheck exits 0 when the job may proceed and 1 when it may not, without printing secrets") {
    TempDir dir("cli");
    SecretsDir secrets;
    sharedSource().exec("CREATE DATABASE IF NOT EXISTS cli_shop");
    sharedSource().exec("CREATE TABLE IF NOT EXISTS cli_shop.t (id INT PRIMARY KEY)");
    sharedSource().exec("CREATE TABLE IF NOT EXISTS cli_shop.log (line VARCHAR(80))");  // no key: a warning
    sharedSource().exec("CREATE USER IF NOT EXISTS 'cliuser'@'%' IDENTIFIED BY 'Sup3r-Secret-Pw'");
    sharedSource().exec("GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cliuser'@'%'");
    secrets.credentials("src", "cliuser", "Sup3r-Secret-Pw\n");
    secrets.credentials("tgt", "root", "");
    const auto objects = "  objects: {include: [{database: cli_shop}]}\n";

    const auto ignoring = dir.write("ok.yaml",
                                    manifest(sharedSource().port(), sharedTarget().port(),
                                             std::string(objects) + "  precheck: {ignoreWarnings: true}\n"));
    auto ok = runner(
        dir, "precheck -f " + ignoring.string() + " --secrets-dir " + secrets.path().string() + " --output json");
    CHECK(ok.status == 0);
    CHECK(ok.out.find("\"name\": \"binlog_format\"") != std::string::npos);
    CHECK(ok.out.find("Sup3r-Secret-Pw") == std::string::npos);

    // A table without a key is a warning, and warnings stop a job that does not ignore them.
    const auto strict = dir.write("strict.yaml", manifest(sharedSource().port(), sharedTarget().port(), objects));
    auto stopped =
        runner(dir, "precheck -f " + strict.string() + " --secrets-dir " + secrets.path().string() + " --output table");
    CHECK(stopped.status == 1);
    CHECK(stopped.out.find("WARNING  primary_keys") != std::string::npos);
    CHECK(stopped.out.find("FAILED") == std::string::npos);
    // Only the warnings held it back: skipping that item lets the job proceed (a MariaDB
    // source also carries its notice).
    const auto skipping =
        dir.write("skip.yaml",
                  manifest(sharedSource().port(), sharedTarget().port(),
                           std::string(objects) + "  precheck: {skip: [primary_keys, source_version]}\n"));
    auto proceeds = runner(
        dir, "precheck -f " + skipping.string() + " --secrets-dir " + secrets.path().string() + " --output table");
    INFO(proceeds.out);
    CHECK(proceeds.status == 0);

    // A wrong password: a Failed item naming the endpoint and the cause, and still no password.
    secrets.credentials("src", "cliuser", "Wr0ng-Pw-Value");
    auto denied = runner(
        dir, "precheck -f " + ignoring.string() + " --secrets-dir " + secrets.path().string() + " --output table");
    CHECK(denied.status == 1);
    CHECK(denied.out.find("FAILED   source_connection") != std::string::npos);
    CHECK(denied.out.find("authentication failed for user 'cliuser'") != std::string::npos);
    CHECK(denied.out.find("Wr0ng-Pw-Value") == std::string::npos);
    CHECK(denied.err.find("Wr0ng-Pw-Value") == std::string::npos);

    // An unreachable host: a Failed item, exit 1.
    auto text = manifest(sharedSource().port(), 1, objects);
    auto unreachable = runner(dir,
                              "precheck -f " + dir.write("down.yaml", text).string() + " --secrets-dir " +
                                  secrets.path().string() + " --output table");
    CHECK(unreachable.status == 1);
    CHECK(unreachable.out.find("target 127.0.0.1:1: connecting: cannot reach the server") != std::string::npos);
}

TEST_CASE("--version prints the runner's name and version and exits 0") {
    TempDir dir("cli");
    auto v = runner(dir, "--version");
    CHECK(v.status == 0);
    CHECK(v.out.rfind("tidemark-runner ", 0) == 0);
    CHECK(lines(v.out) == 1);
    CHECK(v.err.empty());
}
