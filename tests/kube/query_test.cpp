#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kube/errors.h"
#include "kube/query.h"
#include "kube/resource.h"

using namespace tidemark::kube;

TEST_CASE("selectors_are_percent_encoded_in_the_query") {
    CHECK(labelSelectorFromMap({{"tier", "db"}, {"app", "tidemark"}}) == "app=tidemark,tier=db");
    CHECK(buildQuery({{"labelSelector", "app=x,tier!=db"}, {"fieldSelector", "metadata.name=a b"}}) ==
          "?labelSelector=app%3Dx%2Ctier%21%3Ddb&fieldSelector=metadata.name%3Da%20b");
    CHECK(buildQuery({{"labelSelector", "env in (prod,dev)"}}) == "?labelSelector=env%20in%20%28prod%2Cdev%29");
    CHECK(buildQuery({{"limit", "500"}, {"continue", ""}, {"watch", "true"}}) == "?limit=500&watch=true");
    CHECK(buildQuery({{"a", ""}}).empty());
    CHECK(urlEncode("a-b_c.d~e/f+g&h") == "a-b_c.d~e%2Ff%2Bg%26h");
}

TEST_CASE("resource_paths_for_core_group_and_cluster_scoped_resources") {
    using namespace resources;
    CHECK(kPods.collectionPath("ns1") == "/api/v1/namespaces/ns1/pods");
    CHECK(kPods.collectionPath("") == "/api/v1/pods");
    CHECK(kMigrationJobs.objectPath("ns1", "job", "status") ==
          "/apis/tidemark.dev/v1alpha1/namespaces/ns1/migrationjobs/job/status");
    CHECK(kLeases.objectPath("kube-system", "tidemark") ==
          "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/tidemark");
    CHECK(kNamespaces.objectPath("ignored", "ns1") == "/api/v1/namespaces/ns1");
    CHECK(kMigrationJobs.apiVersion() == "tidemark.dev/v1alpha1");
    CHECK(kEvents.apiVersion() == "v1");
}

TEST_CASE("object_keys_round_trip") {
    ObjectKey k = ObjectKey::of(nlohmann::json{{"metadata", {{"namespace", "ns"}, {"name", "a"}}}});
    CHECK(k.str() == "ns/a");
    CHECK(ObjectKey::parse("ns/a") == k);
    CHECK(ObjectKey::parse("cluster-wide").namespace_.empty());
    CHECK(ObjectKey{"", "n"}.str() == "n");
}

TEST_CASE("api_errors_carry_status_reason_message_and_causes") {
    const std::string invalid = R"({"kind":"Status","apiVersion":"v1","status":"Failure",
    "message":"MigrationJob.tidemark.dev \"x\" is invalid","reason":"Invalid","code":422,
    "details":{"causes":[{"reason":"FieldValueNotSupported","message":"Unsupported value","field":"spec.type"}]}})";
    try {
        throwApiError(422, invalid, "POST /apis/x");
        FAIL("no throw");
    } catch (const ApiError& e) {
        CHECK(e.code() == 422);
        CHECK(e.reason() == "Invalid");
        REQUIRE(e.causes().size() == 1);
        CHECK(e.causes()[0].field == "spec.type");
        CHECK(std::string(e.what()).find("POST /apis/x: 422 Invalid") == 0);
        CHECK(std::string(e.what()).find("spec.type") != std::string::npos);
    }
    CHECK_THROWS_AS(throwApiError(409, R"({"kind":"Status","reason":"Conflict","code":409})", "PUT /x"), Conflict);
    try {
        throwApiError(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})", "POST /x");
    } catch (const Conflict&) {
        FAIL("AlreadyExists is not a Conflict");
    } catch (const ApiError& e) {
        CHECK(e.isAlreadyExists());
    }
    try {
        throwApiError(502, "<html>bad gateway</html>", "GET /x");
    } catch (const ApiError& e) {
        CHECK(e.code() == 502);
        CHECK(e.reason().empty());
        CHECK(e.message() == "<html>bad gateway</html>");
    }
}
