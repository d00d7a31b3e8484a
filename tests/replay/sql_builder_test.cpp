// The SQL builder's exact output, without a server (as gh-ost's applier tests do): INSERT,
// UPDATE and DELETE for keyed and keyless tables, safe mode, multi-row statements and their
// limits, primary key changes, the JSON dialects, and every row of the compaction table
// (compaction.h). Changes are partitioned by causality.h as replay does, one share.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "runner/replay/causality.h"
#include "runner/replay/compaction.h"
#include "runner/replay/sql_builder.h"

using namespace tidemark;
using namespace tidemark::replay;
using binlog::RowsKind;
using binlog::Value;

namespace {

struct Col {
    std::string name, type;
    bool generated = false;
};

std::shared_ptr<TableSchema> table(const std::string& name, std::vector<Col> cols, std::vector<uint32_t> pk = {},
                                   std::vector<std::vector<uint32_t>> unique = {}) {
    auto t = std::make_shared<TableSchema>();
    t->database = "d";
    t->name = name;
    t->qualified = "`d`.`" + name + "`";
    for (auto& c : cols) t->columns.push_back({c.name, c.type, c.generated, c.type == "float" || c.type == "double"});
    t->primaryKey = pk;
    t->uniqueKeys = unique;
    t->identity = pk;
    return t;
}

Value I(int64_t v) {
    Value x;
    x.kind = Value::Kind::Int;
    x.i = v;
    return x;
}
Value S(const std::string& s) {
    Value x;
    x.kind = Value::Kind::String;
    x.collation = 45;  // utf8mb4_general_ci
    x.setOwned(s);
    return x;
}
Value N() {
    Value x;
    x.kind = Value::Kind::Null;
    return x;
}
Value M() { return Value{}; }  // not in the image
Value D(double v) {
    Value x;
    x.kind = Value::Kind::Double;
    x.d = v;
    return x;
}
Value F(float v) {
    Value x;
    x.kind = Value::Kind::Float;
    x.f = v;
    return x;
}
Value J(const std::string& text) {
    Value x;
    x.kind = Value::Kind::Json;
    x.text = text;
    return x;
}
Value Vec(const std::string& bytes) {
    Value x;
    x.kind = Value::Kind::Vector;
    x.setOwned(bytes);
    return x;
}

// A batch under construction: rows live as long as it does.
struct Changes {
    std::vector<std::unique_ptr<binlog::Row>> rows;
    std::vector<RowChange> changes;

    Changes& add(const std::shared_ptr<TableSchema>& t, RowsKind kind, std::vector<Value> before,
                 std::vector<Value> after, bool safe = false) {
        auto r = std::make_unique<binlog::Row>();
        r->before = std::move(before);
        r->after = std::move(after);
        changes.push_back({t, kind, r.get(), safe});
        rows.push_back(std::move(r));
        return *this;
    }
    Changes& insert(const std::shared_ptr<TableSchema>& t, std::vector<Value> after, bool safe = false) {
        return add(t, RowsKind::Write, {}, std::move(after), safe);
    }
    Changes& update(const std::shared_ptr<TableSchema>& t, std::vector<Value> before, std::vector<Value> after,
                    bool safe = false) {
        return add(t, RowsKind::Update, std::move(before), std::move(after), safe);
    }
    Changes& remove(const std::shared_ptr<TableSchema>& t, std::vector<Value> before, bool safe = false) {
        return add(t, RowsKind::Delete, std::move(before), {}, safe);
    }

    std::vector<std::string> sql(const SqlDialect& dialect = {}, const SqlLimits& limits = {}) const {
        Partition p = partitionChanges(changes, 1);
        std::vector<std::string> out;
        for (auto& st : buildStatements(changes, p.shares.at(0), p.component, dialect, limits)) out.push_back(st.sql);
        return out;
    }
};

using Sql = std::vector<std::string>;

const auto kKeyed = table("k", {{"id", "int"}, {"v", "varchar"}}, {0});
const auto kKeyless = table("n", {{"a", "int"}, {"b", "varchar"}, {"c", "double"}});

}  // namespace

TEST_CASE("inserts_of_one_table_and_column_set_become_one_multi_row_insert") {
    Changes c;
    c.insert(kKeyed, {I(1), S("a")}).insert(kKeyed, {I(2), S("it's")}).insert(kKeyed, {I(3), N()});
    CHECK(c.sql() == Sql{"INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'a'),(2,_utf8mb4'it\\'s'),(3,NULL)"});
}

TEST_CASE("multi_row_statements_split_at_the_row_limit") {
    Changes c;
    for (int i = 1; i <= 5; ++i) c.insert(kKeyed, {I(i), S("x")});
    SqlLimits limits;
    limits.maxRowsPerStatement = 2;
    CHECK(c.sql({}, limits) ==
          Sql{"INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'x'),(2,_utf8mb4'x')",
              "INSERT INTO `d`.`k` (`id`,`v`) VALUES (3,_utf8mb4'x'),(4,_utf8mb4'x')",
              "INSERT INTO `d`.`k` (`id`,`v`) VALUES (5,_utf8mb4'x')"});
}

TEST_CASE("generated_and_missing_columns_are_not_written") {
    auto t = table("g", {{"id", "int"}, {"v", "int"}, {"w", "int", true}}, {0});
    Changes c;
    c.insert(t, {I(1), I(2), I(3)});
    c.update(t, {I(5), I(1), I(1)}, {I(5), M(), I(9)});  // minimal image: v not logged
    CHECK(c.sql() == Sql{"INSERT INTO `d`.`g` (`id`,`v`) VALUES (1,2)", "UPDATE `d`.`g` SET `id` = 5 WHERE `id` = 5"});
}

TEST_CASE("updates_keeping_the_key_become_one_upsert_other_updates_go_by_key") {
    Changes c;
    c.update(kKeyed, {I(1), S("a")}, {I(1), S("b")});
    c.update(kKeyed, {I(2), S("a")}, {I(2), S("c")});
    CHECK(c.sql() ==
          Sql{"INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'b'),(2,_utf8mb4'c') ON DUPLICATE KEY "
              "UPDATE `v` = VALUES(`v`)"});

    // A table with a second unique key: an upsert could hit that key, so UPDATE by the primary key.
    auto u = table("u", {{"id", "int"}, {"e", "varchar"}}, {0}, {{1}});
    Changes d;
    d.update(u, {I(1), S("a")}, {I(1), S("b")});
    CHECK(d.sql() == Sql{"UPDATE `d`.`u` SET `id` = 1, `e` = _utf8mb4'b' WHERE `id` = 1"});
}

TEST_CASE("an_update_changing_the_primary_key_matches_the_old_key") {
    Changes c;
    c.update(kKeyed, {I(1), S("a")}, {I(7), S("a")});
    CHECK(c.sql() == Sql{"UPDATE `d`.`k` SET `id` = 7, `v` = _utf8mb4'a' WHERE `id` = 1"});
}

TEST_CASE("deletes_by_key_become_one_delete_composite_keys_as_tuples") {
    Changes c;
    c.remove(kKeyed, {I(1), S("a")}).remove(kKeyed, {I(2), S("b")});
    CHECK(c.sql() == Sql{"DELETE FROM `d`.`k` WHERE `id` IN (1,2)"});

    auto t = table("c", {{"a", "int"}, {"b", "varchar"}, {"v", "int"}}, {0, 1});
    Changes d;
    d.remove(t, {I(1), S("x"), I(0)}).remove(t, {I(1), S("y"), I(0)});
    CHECK(d.sql() == Sql{"DELETE FROM `d`.`c` WHERE (`a`,`b`) IN ((1,_utf8mb4'x'),(1,_utf8mb4'y'))"});
}

TEST_CASE("safe_mode_replaces_inserts_and_turns_updates_into_delete_plus_replace") {
    Changes c;
    c.insert(kKeyed, {I(1), S("a")}, true);
    c.update(kKeyed, {I(2), S("a")}, {I(3), S("b")}, true);
    c.remove(kKeyed, {I(4), S("a")}, true);
    CHECK(c.sql() ==
          Sql{"REPLACE INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'a')", "DELETE FROM `d`.`k` WHERE `id` IN (2,4)",
              "REPLACE INTO `d`.`k` (`id`,`v`) VALUES (3,_utf8mb4'b')"});
}

TEST_CASE("safe_mode_update_with_a_partial_image_stays_an_update") {
    Changes c;
    c.update(kKeyed, {I(2), S("a")}, {I(2), M()}, true);
    CHECK(c.sql() == Sql{"UPDATE `d`.`k` SET `id` = 2 WHERE `id` = 2"});
}

TEST_CASE("changes_to_one_key_keep_their_order_across_rounds") {
    // Key 1 deleted then re-inserted in safe mode (no compaction): DELETE must precede REPLACE.
    Changes c;
    c.remove(kKeyed, {I(1), S("a")}, true).insert(kKeyed, {I(1), S("b")}, true).insert(kKeyed, {I(2), S("c")}, true);
    CHECK(c.sql() ==
          Sql{"DELETE FROM `d`.`k` WHERE `id` IN (1)", "REPLACE INTO `d`.`k` (`id`,`v`) VALUES (2,_utf8mb4'c')",
              "REPLACE INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'b')"});
}

TEST_CASE("keyless_delete_and_update_match_every_column_exactly_one_row") {
    Changes c;
    c.remove(kKeyless, {I(1), S("x"), D(1.0 / 3)});
    c.update(kKeyless, {I(1), S("x"), D(2.0 / 3)}, {I(1), S("x"), D(2.0 / 3 + 10)});
    CHECK(c.sql() ==
          Sql{"DELETE FROM `d`.`n` WHERE `a` <=> 1 AND `b` <=> _utf8mb4'x' AND CAST(`b` AS BINARY) <=> _binary'x' "
              "AND `c` <=> 0.3333333333333333 LIMIT 1",
              "UPDATE `d`.`n` SET `a` = 1, `b` = _utf8mb4'x', `c` = 10.666666666666666 WHERE `a` <=> 1 AND `b` <=> "
              "_utf8mb4'x' AND CAST(`b` AS BINARY) <=> _binary'x' AND `c` <=> 0.6666666666666666 LIMIT 1"});
}

TEST_CASE(
    "keyless_match_writes_floats_widened_nulls_with_null_safe_equality_strings_by_bytes_and_prefers_the_zero_of_the_"
    "same_sign") {
    auto t = table("f", {{"f", "float"}, {"d", "double"}, {"s", "varchar"}});
    Changes c;
    c.remove(t, {F(0.1f), D(-0.0), N()});
    c.remove(t, {F(0.0f), D(1e300), N()});
    c.remove(t, {F(-0.0f), D(0.0), S("A ")});
    CHECK(c.sql() ==
          Sql{"DELETE FROM `d`.`f` WHERE `f` <=> 0.10000000149011612 AND `d` <=> -0e0 AND `s` <=> NULL "
              "ORDER BY CAST(`d` AS CHAR) = '-0' DESC LIMIT 1",
              "DELETE FROM `d`.`f` WHERE `f` <=> 0 AND `d` <=> 1e+300 AND `s` <=> NULL ORDER BY "
              "CAST(`f` AS CHAR) = '0' DESC LIMIT 1",
              "DELETE FROM `d`.`f` WHERE `f` <=> -0e0 AND `d` <=> 0 AND `s` <=> _utf8mb4'A ' AND CAST(`s` AS "
              "BINARY) <=> _binary'A ' ORDER BY (CAST(`f` AS CHAR) = '-0' AND CAST(`d` AS CHAR) = '0') DESC LIMIT 1"});
}

TEST_CASE("keyless_match_compares_json_as_documents_and_vectors_by_their_bytes_and_skips_generated_columns") {
    auto t = table("j", {{"j", "json"}, {"v", "vector"}, {"g", "int", true}});
    Changes c;
    c.remove(t, {J("{\"a\": 1}"), Vec(std::string("\x00\x00\x80\x3f", 4)), I(3)});
    CHECK(c.sql() ==
          Sql{"DELETE FROM `d`.`j` WHERE `j` <=> CAST(_utf8mb4'{\"a\": 1}' AS JSON) AND CAST(`v` AS "
              "BINARY) <=> _binary'\\0\\0\x80?' LIMIT 1"});
    SqlDialect maria;
    maria.jsonAsText = true;
    Changes d;
    d.remove(t, {J("{\"a\": 1}"), N(), N()});
    CHECK(d.sql(maria) ==
          Sql{"DELETE FROM `d`.`j` WHERE `j` <=> _utf8mb4'{\"a\": 1}' AND CAST(`v` AS BINARY) <=> NULL LIMIT 1"});
}

TEST_CASE("keyless_rows_are_never_merged_each_change_is_its_own_statement") {
    Changes c;
    c.insert(kKeyless, {I(1), S("x"), N()}).insert(kKeyless, {I(1), S("x"), N()});
    c.remove(kKeyless, {I(1), S("x"), N()});
    CHECK(c.sql() ==
          Sql{"INSERT INTO `d`.`n` (`a`,`b`,`c`) VALUES (1,_utf8mb4'x',NULL),(1,_utf8mb4'x',NULL)",
              "DELETE FROM `d`.`n` WHERE `a` <=> 1 AND `b` <=> _utf8mb4'x' AND CAST(`b` AS BINARY) <=> _binary'x' "
              "AND `c` <=> NULL LIMIT 1"});
}

TEST_CASE("a_keyless_table_with_only_generated_columns_in_the_image_matches_any_row") {
    auto t = table("e", {{"g", "int", true}});
    Changes c;
    c.remove(t, {I(1)});
    CHECK(c.sql() == Sql{"DELETE FROM `d`.`e` WHERE 1 LIMIT 1"});
}

TEST_CASE("json_partial_updates_use_the_dialects_functions") {
    auto t = table("p", {{"id", "int"}, {"j", "json"}}, {0});
    Value diff;
    diff.kind = Value::Kind::JsonDiff;
    diff.diffs.push_back({binlog::JsonDiff::Op::Replace, "$.a", "2"});
    Changes c;
    c.update(t, {I(1), M()}, {I(1), diff});
    CHECK(c.sql() ==
          Sql{"UPDATE `d`.`p` SET `id` = 1, `j` = JSON_REPLACE(`j`, _utf8mb4'$.a', CAST(_utf8mb4'2' AS "
              "JSON)) WHERE `id` = 1"});
    SqlDialect maria;
    maria.jsonAsText = true;
    CHECK(c.sql(maria) ==
          Sql{"UPDATE `d`.`p` SET `id` = 1, `j` = JSON_REPLACE(`j`, _utf8mb4'$.a', "
              "JSON_EXTRACT(_utf8mb4'2', '$')) WHERE `id` = 1"});
}

// ---- Compaction: every row of compaction.h's table, and the pairs it leaves out.

namespace {

// The change `kind` of key 1 in kKeyed; `tag` tells images apart.
void addChange(Changes& c, RowsKind kind, const std::string& tag) {
    switch (kind) {
        case RowsKind::Write: c.insert(kKeyed, {I(1), S(tag)}); break;
        case RowsKind::Update: c.update(kKeyed, {I(1), S("old")}, {I(1), S(tag)}); break;
        case RowsKind::Delete: c.remove(kKeyed, {I(1), S(tag)}); break;
    }
}

// A change that leaves `held` as key 1's held operation.
RowsKind firstFor(HeldOp held) {
    switch (held) {
        case HeldOp::Insert: return RowsKind::Write;
        case HeldOp::Upsert: return RowsKind::Update;
        case HeldOp::DeleteKey: return RowsKind::Delete;
    }
    return RowsKind::Write;
}

// The one statement each operation renders to for key 1 (the image tagged `tag`).
std::string rendered(Merged m, const std::string& tag) {
    switch (m) {
        case Merged::Insert: return "INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'" + tag + "')";
        case Merged::Upsert:
            return "INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'" + tag +
                "') ON DUPLICATE KEY UPDATE `v` = VALUES(`v`)";
        case Merged::DeleteKey: return "DELETE FROM `d`.`k` WHERE `id` IN (1)";
        case Merged::Nothing: return "";
    }
    return "";
}

Merged asMerged(HeldOp h) {
    return h == HeldOp::Insert ? Merged::Insert : h == HeldOp::Upsert ? Merged::Upsert : Merged::DeleteKey;
}

}  // namespace

TEST_CASE("every_row_of_the_compaction_table_is_what_the_builder_does") {
    for (const CompactionRule& rule : kCompactionRules) {
        CAPTURE(rule.why);
        Changes c;
        addChange(c, firstFor(rule.held), "first");
        addChange(c, rule.next, "next");
        const std::string expected = rendered(rule.result, "next");
        CHECK(c.sql() == (expected.empty() ? Sql{} : Sql{expected}));
        CHECK(mergeChange(rule.held, rule.next) == rule.result);
    }
}

TEST_CASE("pairs_outside_the_compaction_table_are_applied_one_after_the_other") {
    const RowsKind kinds[] = {RowsKind::Write, RowsKind::Update, RowsKind::Delete};
    int unmerged = 0;
    for (HeldOp held : {HeldOp::Insert, HeldOp::Upsert, HeldOp::DeleteKey})
        for (RowsKind next : kinds) {
            if (mergeChange(held, next)) continue;
            ++unmerged;
            CAPTURE(static_cast<int>(held));
            CAPTURE(static_cast<int>(next));
            Changes c;
            addChange(c, firstFor(held), "first");
            addChange(c, next, "next");
            // Impossible on a real source (a second INSERT or DELETE of one key); the two land in one
            // multi-row statement, in order.
            if (held == HeldOp::Insert && next == RowsKind::Write)
                CHECK(c.sql() == Sql{"INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'first'),(1,_utf8mb4'next')"});
            else if (held == HeldOp::DeleteKey && next == RowsKind::Delete)
                CHECK(c.sql() == Sql{"DELETE FROM `d`.`k` WHERE `id` IN (1,1)"});
            else CHECK(c.sql() == Sql{rendered(asMerged(held), "first"), rendered(asMerged(heldFor(next)), "next")});
        }
    CHECK(unmerged == 9 - static_cast<int>(std::size(kCompactionRules)));
}

TEST_CASE("compaction_chains_to_the_net_effect_and_starts_over_after_nothing") {
    Changes c;  // insert, update, update, delete: nothing; then insert again: that insert
    c.insert(kKeyed, {I(1), S("a")});
    c.update(kKeyed, {I(1), S("a")}, {I(1), S("b")});
    c.update(kKeyed, {I(1), S("b")}, {I(1), S("c")});
    c.remove(kKeyed, {I(1), S("c")});
    c.insert(kKeyed, {I(1), S("d")});
    CHECK(c.sql() == Sql{"INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'd')"});
}

TEST_CASE("no_compaction_in_safe_mode_with_a_second_unique_key_or_a_key_change") {
    Changes safe;
    safe.insert(kKeyed, {I(1), S("a")}).remove(kKeyed, {I(1), S("a")}, true);
    CHECK(safe.sql() ==
          Sql{"INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'a')", "DELETE FROM `d`.`k` WHERE `id` IN (1)"});

    auto u = table("u", {{"id", "int"}, {"e", "varchar"}}, {0}, {{1}});
    Changes unique;
    unique.insert(u, {I(1), S("a")}).remove(u, {I(1), S("a")});
    CHECK(unique.sql() ==
          Sql{"INSERT INTO `d`.`u` (`id`,`e`) VALUES (1,_utf8mb4'a')", "DELETE FROM `d`.`u` WHERE `id` IN (1)"});

    Changes rekey;  // key 1 becomes 2: one component of two keys, applied as logged
    rekey.insert(kKeyed, {I(1), S("a")}).update(kKeyed, {I(1), S("a")}, {I(2), S("a")});
    CHECK(rekey.sql() ==
          Sql{"INSERT INTO `d`.`k` (`id`,`v`) VALUES (1,_utf8mb4'a')",
              "UPDATE `d`.`k` SET `id` = 2, `v` = _utf8mb4'a' WHERE `id` = 1"});
}

TEST_CASE("a_routed_table_writes_its_extra_columns_and_matches_rows_by_them") {
    // A shard of a merged table (spec.routes): rows go to the target table with the route's
    // extra columns as constants, and every key match includes them.
    auto t = table("orders_a", {{"id", "int"}, {"v", "varchar"}}, {0});
    t->qualified = "`m`.`orders`";
    t->extras = {{"src_db", "s1"}, {"src_t", "orders_a"}};
    auto keyless = table("log_a", {{"a", "int"}});
    keyless->qualified = "`m`.`log`";
    keyless->extras = {{"src", "s1"}};
    const std::string s1 = "CONVERT(X'7331' USING utf8mb4)", a = "CONVERT(X'6F72646572735F61' USING utf8mb4)";
    Changes c;
    c.insert(t, {I(1), S("x")});
    c.remove(t, {I(2), S("y")});
    c.update(t, {I(3), S("y")}, {I(4), S("z")});
    c.remove(keyless, {I(7)});
    CHECK(c.sql() ==
          Sql{"INSERT INTO `m`.`orders` (`id`,`v`,`src_db`,`src_t`) VALUES (1,_utf8mb4'x'," + s1 + "," + a + ")",
              "DELETE FROM `m`.`orders` WHERE (`id`,`src_db`,`src_t`) IN ((2," + s1 + "," + a + "))",
              "UPDATE `m`.`orders` SET `id` = 4, `v` = _utf8mb4'z' WHERE `id` = 3 AND `src_db` = " + s1 +
                  " AND `src_t` = " + a,
              "DELETE FROM `m`.`log` WHERE `a` <=> 7 AND `src` = " + s1 + " LIMIT 1"});
}
