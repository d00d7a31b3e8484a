// Database and table name patterns, as spec.objects, spec.routes, spec.filters and
// spec.rowFilters write them:
//   orders          a plain name: that name (compared by the source's NameCase)
//   shop_*  order_??  shard_[0-9]*  t_[!x]
//                   a wildcard: `*` any run of characters, `?` one character, `[...]` one of a
//                   class (ranges `a-z`; `[!...]` or `[^...]` negated), as DM's routes write them
//   ~^shop_[0-9]+$  a regular expression (ECMAScript syntax) when the text starts with `~`, as
//                   DM's block-allow-list writes them; it must match the whole name
// Under NameCase::Lower and ::Insensitive both sides compare in lower case (ASCII).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tidemark::api {

enum class NameCase;

// Why `text` is not a usable pattern (an unterminated `[`, a regular expression that does not
// compile, empty), or nothing.
std::optional<std::string> namePatternProblem(std::string_view text);

// True when `pattern` (valid by namePatternProblem) holds a wildcard or is a regular expression,
// so it can select names nobody listed (tables created later).
bool isNamePattern(std::string_view pattern);

// True when `name` matches `pattern` under `rule`. Plain names cost a comparison; regular
// expressions are compiled once per process (thread-safe).
bool nameMatches(std::string_view pattern, std::string_view name, NameCase rule);

// True when a rule of spec.routes, spec.filters or spec.rowFilters names the table: its
// `database` and `table` patterns both match.
template <class Rule>
bool ruleNamesTable(const Rule& r, std::string_view database, std::string_view table, NameCase rule) {
    return nameMatches(r.database, database, rule) && nameMatches(r.table, table, rule);
}

}  // namespace tidemark::api
