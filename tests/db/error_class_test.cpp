// The error classifier (runner/db/dialect/errors.h): every documented code classifies as its
// row says, TiDB's catch-all 1105 by its text, unknown codes by where they come from, and the
// DbError a connection throws carries the same class.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runner/db/connection.h"
#include "runner/db/dialect/errors.h"

#include <set>
#include <string>

using namespace tidemark::db;
using dialect::ErrorClass;

TEST_CASE("every knownErrors row classifies as listed, once per code, in code order") {
    std::set<unsigned> seen;
    unsigned previous = 0;
    for (const auto& e : dialect::knownErrors()) {
        CAPTURE(e.code);
        CHECK(seen.insert(e.code).second);
        CHECK(e.code > previous);
        previous = e.code;
        CHECK(dialect::classify(e.code, "") == e.cls);
        // 1105's sample is its transient text (see the 1105 case below).
        if (e.code != 1105) CHECK(dialect::classify(e.code, dialect::messageFor(e.code)) == e.cls);
        CHECK(std::string(e.server).size() > 0);
        CHECK(std::string(e.name).size() > 0);
        CHECK(std::string(e.meaning).size() > 0);
        CHECK(std::string(e.meaning).find('\n') == std::string::npos);
    }
}

TEST_CASE("the issue's codes: TiDB's transient errors retry, the too-large ones split, the rest is fatal") {
    for (unsigned code : {1213u, 1205u, 8002u, 8005u, 8022u, 8027u, 8028u, 8147u, 8176u, 8252u, 9001u, 9002u, 9003u,
                          9004u, 9005u, 9007u, 9008u}) {
        CAPTURE(code);
        CHECK(dialect::classify(code, "") == ErrorClass::RetryTxn);
        CHECK(dialect::retryPlanFor(code, "").attempts > 0);
    }
    for (unsigned code : {8004u, 9500u, 8175u, 8229u, 9006u}) {
        CAPTURE(code);
        CHECK(dialect::classify(code, "") == ErrorClass::Split);
        CHECK(dialect::retryPlanFor(code, "").attempts == 0);
    }
    CHECK(dialect::classify(8025, "") == ErrorClass::EntryTooLarge);
    for (unsigned code :
         {2006u, 2013u, 2055u, 1053u, 1927u, 3169u, 1152u, 1158u, 1159u, 1160u, 1161u, 1184u, 1317u, 4031u, 8024u}) {
        CAPTURE(code);
        CHECK(dialect::classify(code, "") == ErrorClass::Reconnect);
    }
    for (unsigned code : {1062u, 1406u, 1366u, 1064u, 8020u, 3572u}) {
        CAPTURE(code);
        CHECK(dialect::classify(code, "") == ErrorClass::Fatal);
    }
}

TEST_CASE("1105 retries only with the texts that mean a schema change or 'try again later'") {
    CHECK(dialect::classify(1105, "Information schema is changed. [try again later]") == ErrorClass::RetryTxn);
    CHECK(dialect::classify(1105, "Information schema is out of date: schema failed to update in 1 lease") ==
          ErrorClass::RetryTxn);
    CHECK(dialect::classify(1105, "target 10.0.0.1:4000: running `x`: information schema is changed") ==
          ErrorClass::RetryTxn);
    CHECK(dialect::classify(1105, "something transient [try again later]") == ErrorClass::RetryTxn);
    CHECK(dialect::classify(1105, "") == ErrorClass::Fatal);
    CHECK(dialect::classify(1105, "other error: unknown error Wire Error(InvalidEnumValue(4004))") ==
          ErrorClass::Fatal);
    CHECK(dialect::classify(1105, "Information schema") == ErrorClass::Fatal);
}

TEST_CASE("unknown codes: server ones are fatal, client ones reconnect") {
    for (unsigned code : {0u, 1u, 1044u, 1999u, 3000u, 4000u, 8001u, 8999u, 9999u, 65535u}) {
        CAPTURE(code);
        CHECK(dialect::classify(code, "whatever") == ErrorClass::Fatal);
    }
    for (unsigned code : {2000u, 2014u, 2999u}) {
        CAPTURE(code);
        CHECK(dialect::classify(code, "whatever") == ErrorClass::Reconnect);
    }
}

TEST_CASE("4031 is MySQL's idle disconnect but MariaDB's unknown trigger") {
    CHECK(dialect::classify(4031, dialect::messageFor(4031)) == ErrorClass::Reconnect);
    CHECK(dialect::classify(4031, "Referenced trigger 'tr' for the given action time and event type does not exist") ==
          ErrorClass::Fatal);
    CHECK(dialect::classify(4031, "", dialect::Flavor::MariaDB) == ErrorClass::Fatal);
    CHECK(dialect::classify(4031, "", dialect::Flavor::MySQL) == ErrorClass::Reconnect);
    CHECK(dialect::classify(9007, "", dialect::Flavor::MariaDB) == ErrorClass::RetryTxn);
}

TEST_CASE("a lost answer or a TiKV timeout may have committed, a conflict or a split did not") {
    CHECK(dialect::mayHaveCommitted(2013, ""));
    CHECK(dialect::mayHaveCommitted(2006, ""));
    CHECK(dialect::mayHaveCommitted(9002, ""));
    CHECK_FALSE(dialect::mayHaveCommitted(9007, ""));
    CHECK_FALSE(dialect::mayHaveCommitted(1213, ""));
    CHECK_FALSE(dialect::mayHaveCommitted(8004, ""));
    CHECK_FALSE(dialect::mayHaveCommitted(1062, ""));
}

TEST_CASE("backoff doubles up to its cap and region unavailability waits longer than a write conflict") {
    const auto conflict = dialect::retryPlanFor(9007, "");
    const auto region = dialect::retryPlanFor(9005, "");
    CHECK(region.first > conflict.first);
    CHECK(region.cap >= conflict.cap);
    CHECK(conflict.delay(2) == 2 * conflict.delay(1));
    CHECK(conflict.delay(100) == conflict.cap);
    CHECK(region.delay(100) == region.cap);
    for (int i = 1; i < 20; ++i) CHECK(conflict.delay(i) <= conflict.delay(i + 1));
}

TEST_CASE("a DbError carries the classifier's class and retryable() follows it except for setup errors") {
    const auto error = [](ErrorKind kind, unsigned code, const std::string& text) { return DbError(kind, code, text); };
    CHECK(error(ErrorKind::Transient, 9007, dialect::messageFor(9007).data()).errorClass() == ErrorClass::RetryTxn);
    CHECK(error(ErrorKind::Query, 1105, "Information schema is changed").errorClass() == ErrorClass::RetryTxn);
    CHECK(error(ErrorKind::Query, 1105, "Information schema is changed").retryable());
    CHECK_FALSE(error(ErrorKind::Query, 1105, "bad").retryable());
    CHECK(error(ErrorKind::Other, 2014, "Commands out of sync").retryable());
    CHECK_FALSE(error(ErrorKind::TooLarge, 8004, "too large").retryable());
    CHECK_FALSE(error(ErrorKind::Tls, 2026, "TLS").retryable());
    CHECK_FALSE(error(ErrorKind::Dns, 2005, "dns").retryable());
    CHECK_FALSE(error(ErrorKind::Other, 0, "no code").retryable());
}

TEST_CASE("the error a server code makes names the endpoint and has the kind its class implies") {
    ConnectOptions o;
    o.role = "target";
    o.host = "10.0.0.5";
    o.port = 4000;
    const auto thrown = [&](unsigned code) {
        try {
            throwError(o, code, dialect::messageFor(code), runningDoing("INSERT INTO t VALUES (1)"));
        } catch (const DbError& e) {
            return e;
        }
        return DbError(ErrorKind::Other, 0, "");
    };
    const auto conflict = thrown(9007);
    CHECK(conflict.kind() == ErrorKind::Transient);
    CHECK(conflict.code() == 9007);
    CHECK(conflict.retryable());
    CHECK(std::string(conflict.what()).starts_with("target 10.0.0.5:4000: running `INSERT INTO t VALUES (1)`: "));
    CHECK(std::string(conflict.what()).find("Write conflict") != std::string::npos);
    CHECK(thrown(8004).kind() == ErrorKind::TooLarge);
    CHECK(thrown(8025).kind() == ErrorKind::TooLarge);
    CHECK(thrown(8025).errorClass() == ErrorClass::EntryTooLarge);
    CHECK(thrown(2013).kind() == ErrorKind::ConnectionLost);
    CHECK(thrown(8024).kind() == ErrorKind::ConnectionLost);
    CHECK(thrown(1062).kind() == ErrorKind::Query);
    CHECK(thrown(8020).kind() == ErrorKind::Query);
    CHECK(thrown(1040).kind() == ErrorKind::TooManyConnections);
    CHECK(thrown(1045).kind() == ErrorKind::Authentication);
    CHECK_FALSE(thrown(1062).retryable());
}

TEST_CASE("the codes other stages act on: a replayed DDL already applied, LOAD DATA refused, a table changed") {
    for (unsigned code : {1007u, 1008u, 1025u, 1050u, 1051u, 1054u, 1060u, 1061u, 1091u, 1146u, 1176u})
        CHECK(dialect::ddlAlreadyApplied(code));
    for (unsigned code : {1062u, 1064u, 1213u, 9007u}) CHECK_FALSE(dialect::ddlAlreadyApplied(code));
    for (unsigned code : {1148u, 3948u, 4166u}) CHECK(dialect::localInfileRefused(code));
    CHECK_FALSE(dialect::localInfileRefused(1045));
    for (unsigned code : {1146u, 1412u, 1054u, 1176u, 1932u}) CHECK(dialect::tableChangedUnderneath(code));
    CHECK_FALSE(dialect::tableChangedUnderneath(1064));  // a syntax error is ours, not the source's change
    CHECK_FALSE(dialect::tableChangedUnderneath(1062));
    CHECK(dialect::isClientError(2013));
    CHECK_FALSE(dialect::isClientError(1317));
}
