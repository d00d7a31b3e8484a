#include "api/migration_job.h"

#include "api/name_pattern.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace tidemark::api {

namespace {

constexpr std::string_view kApiVersion = "tidemark.dev/v1alpha1";
constexpr std::string_view kKind = "MigrationJob";

template <typename Enum, std::size_t N>
struct EnumTable {
    std::array<std::pair<Enum, std::string_view>, N> entries;

    std::string_view name(Enum e) const {
        for (auto& [v, n] : entries)
            if (v == e) return n;
        return "?";
    }
    std::string choices() const {
        std::string out;
        for (auto& [v, n] : entries) out += (out.empty() ? "" : ", ") + std::string(n);
        return out;
    }
    std::optional<Enum> parse(std::string_view s) const {
        for (auto& [v, n] : entries)
            if (n == s) return v;
        return std::nullopt;
    }
};

constexpr EnumTable<JobType, 3> kJobTypes{{{{JobType::Full, "Full"},
                                            {JobType::Incremental, "Incremental"},
                                            {JobType::FullAndIncremental, "FullAndIncremental"}}}};
constexpr EnumTable<CutoverSpec::Afterwards, 2> kAfterwards{
    {{{CutoverSpec::Afterwards::Pause, "Pause"}, {CutoverSpec::Afterwards::Continue, "Continue"}}}};
constexpr EnumTable<ShardDdlSpec::Mode, 2> kShardDdlModes{
    {{{ShardDdlSpec::Mode::Pessimistic, "Pessimistic"}, {ShardDdlSpec::Mode::Optimistic, "Optimistic"}}}};
constexpr EnumTable<FullMode, 2> kFullModes{{{{FullMode::Logical, "Logical"}, {FullMode::Physical, "Physical"}}}};
constexpr EnumTable<SourceFlavor, 6> kFlavors{{{{SourceFlavor::MySQL, "MySQL"},
                                                {SourceFlavor::MariaDB, "MariaDB"},
                                                {SourceFlavor::AuroraMySQL, "AuroraMySQL"},
                                                {SourceFlavor::RDSMySQL, "RDSMySQL"},
                                                {SourceFlavor::AzureMySQL, "AzureMySQL"},
                                                {SourceFlavor::CloudSQLMySQL, "CloudSQLMySQL"}}}};

// Walks a YAML mapping while remembering where it is, so every error names its field path.
class Fields {
public:
    Fields(const YAML::Node& node, std::string path, std::string_view origin)
        : node_(node), path_(std::move(path)), origin_(origin) {
        if (!node_.IsMap()) fail(path_, "expected a mapping");
    }

    // Rejects keys the schema does not know (a typo would otherwise be silently ignored).
    void allowOnly(std::initializer_list<std::string_view> keys) const {
        for (const auto& kv : node_) {
            const auto key = kv.first.as<std::string>();
            if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
                std::string known;
                for (auto k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
                fail(child(key), "unknown field (known fields: " + known + ")");
            }
        }
    }

    bool has(std::string_view key) const {
        return node_[std::string(key)].IsDefined() && !node_[std::string(key)].IsNull();
    }
    YAML::Node get(std::string_view key) const { return node_[std::string(key)]; }
    std::string child(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    Fields object(std::string_view key) const {
        if (!has(key)) fail(child(key), "required field is missing");
        return Fields(get(key), child(key), origin_);
    }

    std::string string(std::string_view key, std::optional<std::string> dflt = std::nullopt) const {
        if (!has(key)) {
            if (dflt) return *dflt;
            fail(child(key), "required field is missing");
        }
        auto n = get(key);
        if (!n.IsScalar()) fail(child(key), "expected a string");
        return n.as<std::string>();
    }

    std::int64_t integer(std::string_view key, std::int64_t dflt, std::int64_t lo, std::int64_t hi) const {
        if (!has(key)) return dflt;
        auto n = get(key);
        std::int64_t v = 0;
        if (!n.IsScalar() || !YAML::convert<std::int64_t>::decode(n, v) || n.Tag() == "!")
            fail(child(key), "expected an integer, got '" + scalarText(n) + "'");
        if (v < lo || v > hi)
            fail(child(key),
                 "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(v));
        return v;
    }

    bool boolean(std::string_view key, bool dflt) const {
        if (!has(key)) return dflt;
        auto n = get(key);
        bool v = false;
        if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
            fail(child(key), "expected true or false, got '" + scalarText(n) + "'");
        return v;
    }

    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> out;
        if (!has(key)) return out;
        auto n = get(key);
        if (!n.IsSequence()) fail(child(key), "expected a list of strings");
        for (std::size_t i = 0; i < n.size(); ++i) {
            if (!n[i].IsScalar()) fail(child(key) + "[" + std::to_string(i) + "]", "expected a string");
            out.push_back(n[i].as<std::string>());
        }
        return out;
    }

    template <typename Enum, std::size_t N>
    Enum enumeration(std::string_view key, const EnumTable<Enum, N>& table, Enum dflt) const {
        if (!has(key)) return dflt;
        auto text = string(key);
        if (auto v = table.parse(text)) return *v;
        fail(child(key), "unsupported value '" + text + "' (expected one of: " + table.choices() + ")");
    }

    [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
        throw ManifestError(std::string(origin_) + ": " + (path.empty() ? "the document" : path) + ": " + problem);
    }

    const std::string& path() const { return path_; }
    std::string_view origin() const { return origin_; }

private:
    static std::string scalarText(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : "a non-scalar value"; }

    YAML::Node node_;
    std::string path_;
    std::string_view origin_;
};

std::chrono::seconds parseDuration(const Fields& f, std::string_view key, std::chrono::seconds dflt) {
    if (!f.has(key)) return dflt;
    const auto text = f.string(key);
    static const std::regex re(R"(^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$)");
    std::smatch m;
    if (text.empty() || !std::regex_match(text, m, re))
        f.fail(f.child(key), "expected a duration such as 60s, 5m or 1h30m, got '" + text + "'");
    auto part = [&](int i) { return m[i].matched ? std::stoll(m[i].str()) : 0LL; };
    return std::chrono::seconds(part(1) * 3600 + part(2) * 60 + part(3));
}

// A byte size: an integer, or a Kubernetes-style quantity with a binary suffix (Ki, Mi, Gi).
std::uint64_t parseBytes(const Fields& f, std::string_view key, std::uint64_t dflt, std::uint64_t lo,
                         std::uint64_t hi) {
    if (!f.has(key)) return dflt;
    const auto text = f.string(key);
    static const std::regex re(R"(^(\d+)(Ki|Mi|Gi)?$)");
    std::smatch m;
    if (!std::regex_match(text, m, re) || m[1].length() > 15)
        f.fail(f.child(key), "expected a size such as 64Mi, 6Mi or 1048576, got '" + text + "'");
    std::uint64_t v = std::stoull(m[1].str());
    if (m[2] == "Ki") v <<= 10;
    if (m[2] == "Mi") v <<= 20;
    if (m[2] == "Gi") v <<= 30;
    if (v < lo || v > hi)
        f.fail(f.child(key),
               "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " bytes, got '" + text + "'");
    return v;
}

// Each mapping of the list at `key`, as Fields naming its path ("spec.routes[2]").
std::vector<Fields> listItems(const Fields& f, std::string_view key, std::string_view shape) {
    std::vector<Fields> out;
    if (!f.has(key)) return out;
    auto list = f.get(key);
    if (!list.IsSequence()) f.fail(f.child(key), "expected a list of " + std::string(shape));
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = f.child(key) + "[" + std::to_string(i) + "]";
        if (!list[i].IsMap()) f.fail(path, "expected a mapping " + std::string(shape));
        out.emplace_back(list[i], path, f.origin());
    }
    return out;
}

std::string pattern(const Fields& f, std::string_view key, std::optional<std::string> dflt) {
    auto text = f.string(key, std::move(dflt));
    if (auto problem = namePatternProblem(text)) f.fail(f.child(key), *problem);
    return text;
}

// An identifier the target takes: 1-64 characters, no trailing space.
std::string identifier(const Fields& f, std::string_view key, std::optional<std::string> dflt) {
    auto text = f.string(key, std::move(dflt));
    if (text.size() > 64 || (!text.empty() && text.back() == ' '))
        f.fail(f.child(key), "'" + text + "' is not a usable name (at most 64 characters, no trailing space)");
    return text;
}

constexpr EnumTable<ExtraColumn::Value, 3> kExtraValues{{{{ExtraColumn::Value::Schema, "schema"},
                                                          {ExtraColumn::Value::Table, "table"},
                                                          {ExtraColumn::Value::Source, "source"}}}};
constexpr EnumTable<EventFilter::Action, 2> kFilterActions{
    {{{EventFilter::Action::Ignore, "Ignore"}, {EventFilter::Action::Error, "Error"}}}};
constexpr EnumTable<EventKind, 13> kEventKinds{{{{EventKind::Insert, "insert"},
                                                 {EventKind::Update, "update"},
                                                 {EventKind::Delete, "delete"},
                                                 {EventKind::CreateDatabase, "create database"},
                                                 {EventKind::DropDatabase, "drop database"},
                                                 {EventKind::AlterDatabase, "alter database"},
                                                 {EventKind::CreateTable, "create table"},
                                                 {EventKind::DropTable, "drop table"},
                                                 {EventKind::AlterTable, "alter table"},
                                                 {EventKind::RenameTable, "rename table"},
                                                 {EventKind::TruncateTable, "truncate table"},
                                                 {EventKind::CreateIndex, "create index"},
                                                 {EventKind::DropIndex, "drop index"}}}};

RouteRule parseRoute(const Fields& f) {
    f.allowOnly({"database", "table", "targetDatabase", "targetTable", "extraColumns"});
    RouteRule r;
    r.database = pattern(f, "database", std::nullopt);
    r.table = pattern(f, "table", "*");
    r.targetDatabase = identifier(f, "targetDatabase", std::nullopt);
    if (r.targetDatabase.empty()) f.fail(f.child("targetDatabase"), "must not be empty");
    if (isSystemSchema(r.targetDatabase))
        f.fail(f.child("targetDatabase"), "'" + r.targetDatabase + "' is a system schema");
    r.targetTable = identifier(f, "targetTable", "");
    for (auto& item : listItems(f, "extraColumns", "{column, value}")) {
        item.allowOnly({"column", "value"});
        ExtraColumn c;
        c.column = identifier(item, "column", std::nullopt);
        if (c.column.empty()) item.fail(item.child("column"), "must not be empty");
        c.value = item.enumeration("value", kExtraValues, ExtraColumn::Value::Schema);
        for (const auto& earlier : r.extraColumns)
            if (earlier.column == c.column) item.fail(item.child("column"), "'" + c.column + "' is listed twice");
        r.extraColumns.push_back(std::move(c));
    }
    return r;
}

EventFilter parseEventFilter(const Fields& f) {
    f.allowOnly({"database", "table", "events", "action"});
    EventFilter e;
    e.database = pattern(f, "database", std::nullopt);
    e.table = pattern(f, "table", "*");
    const auto names = f.strings("events");
    if (names.empty()) f.fail(f.child("events"), "list at least one event (one of: " + kEventKinds.choices() + ")");
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string name = names[i];
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name == "all dml") {
            e.events.insert(e.events.end(), {EventKind::Insert, EventKind::Update, EventKind::Delete});
        } else if (name == "all ddl") {
            for (const auto& [kind, text] : kEventKinds.entries)
                if (kind != EventKind::Insert && kind != EventKind::Update && kind != EventKind::Delete)
                    e.events.push_back(kind);
        } else if (auto kind = kEventKinds.parse(name)) {
            e.events.push_back(*kind);
        } else {
            f.fail(f.child("events") + "[" + std::to_string(i) + "]",
                   "unknown event '" + names[i] + "' (expected all dml, all ddl or one of: " + kEventKinds.choices() +
                       ")");
        }
    }
    e.action = f.enumeration("action", kFilterActions, EventFilter::Action::Ignore);
    return e;
}

RowFilter parseRowFilter(const Fields& f) {
    f.allowOnly({"database", "table", "insert", "updateOld", "updateNew", "delete"});
    RowFilter r;
    r.database = pattern(f, "database", std::nullopt);
    r.table = pattern(f, "table", "*");
    r.insert = f.string("insert", "");
    r.updateOld = f.string("updateOld", "");
    r.updateNew = f.string("updateNew", "");
    r.deleted = f.string("delete", "");
    if (r.insert.empty() && r.updateOld.empty() && r.updateNew.empty() && r.deleted.empty())
        f.fail(f.path(), "give at least one of insert, updateOld, updateNew, delete");
    return r;
}

Consolidation parseConsolidation(const Fields& spec) {
    Consolidation c;
    for (auto& item : listItems(spec, "routes", "{database, table, targetDatabase, targetTable, extraColumns}"))
        c.routes.push_back(parseRoute(item));
    for (auto& item : listItems(spec, "filters", "{database, table, events, action}"))
        c.filters.push_back(parseEventFilter(item));
    for (auto& item : listItems(spec, "rowFilters", "{database, table, insert, updateOld, updateNew, delete}"))
        c.rowFilters.push_back(parseRowFilter(item));
    return c;
}

void parseEndpoint(const Fields& f, Endpoint& e, int defaultPort) {
    e.host = f.string("host");
    if (e.host.empty()) f.fail(f.child("host"), "must not be empty");
    e.port = static_cast<int>(f.integer("port", defaultPort, 1, 65535));
    auto cred = f.object("credentialsSecret");
    cred.allowOnly({"name"});
    e.credentialsSecret = cred.string("name");
    if (f.has("tls")) {
        auto tls = f.object("tls");
        tls.allowOnly({"secretName"});
        e.tlsSecret = tls.string("secretName");
    }
}

std::vector<ObjectRule> parseRules(const Fields& f, std::string_view key) {
    std::vector<ObjectRule> rules;
    if (!f.has(key)) return rules;
    auto list = f.get(key);
    if (!list.IsSequence()) f.fail(f.child(key), "expected a list of {database, tables}");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = f.child(key) + "[" + std::to_string(i) + "]";
        if (!list[i].IsMap()) f.fail(path, "expected a mapping {database, tables}");
        ObjectRule rule;
        auto db = list[i]["database"];
        if (!db.IsDefined() || !db.IsScalar() || db.as<std::string>().empty())
            f.fail(path + ".database", "required field is missing");
        rule.database = db.as<std::string>();
        if (auto problem = namePatternProblem(rule.database)) f.fail(path + ".database", *problem);
        for (const auto& kv : list[i]) {
            auto k = kv.first.as<std::string>();
            if (k != "database" && k != "tables")
                f.fail(path + "." + k, "unknown field (known fields: database, tables)");
        }
        auto tables = list[i]["tables"];
        if (tables.IsDefined() && !tables.IsNull()) {
            if (!tables.IsSequence()) f.fail(path + ".tables", "expected a list of table names");
            for (std::size_t t = 0; t < tables.size(); ++t) {
                if (!tables[t].IsScalar() || tables[t].as<std::string>().empty())
                    f.fail(path + ".tables[" + std::to_string(t) + "]", "expected a table name");
                rule.tables.push_back(tables[t].as<std::string>());
                if (auto problem = namePatternProblem(rule.tables.back()))
                    f.fail(path + ".tables[" + std::to_string(t) + "]", *problem);
            }
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

// lower_case_table_names 1 and 2 both compare in lower case (ASCII only, as the server's
// my_casedn_str does for the names of files it keeps): name_pattern.h.
bool ruleMatches(const ObjectRule& r, std::string_view db, std::optional<std::string_view> table, NameCase rule) {
    if (!nameMatches(r.database, db, rule)) return false;
    if (r.tables.empty()) return true;
    if (!table) return true;
    return std::any_of(r.tables.begin(), r.tables.end(),
                       [&](const std::string& t) { return nameMatches(t, *table, rule); });
}

}  // namespace

std::string_view nameOf(JobType v) { return kJobTypes.name(v); }
std::string_view nameOf(FullMode v) { return kFullModes.name(v); }
std::string_view nameOf(SourceFlavor v) { return kFlavors.name(v); }
std::string_view nameOf(EventKind v) { return kEventKinds.name(v); }

bool isSystemSchema(std::string_view db) {
    static const std::set<std::string, std::less<>> kSystem = {"mysql", "information_schema", "performance_schema",
                                                               "sys"};
    std::string lower(db);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return kSystem.count(lower) > 0 || lower == "tidemark_meta";
}

NameCase nameCaseFor(int lowerCaseTableNames) {
    switch (lowerCaseTableNames) {
        case 1: return NameCase::Lower;
        case 2: return NameCase::Insensitive;
        default: return NameCase::Exact;
    }
}

std::optional<std::string> shadowTableOf(std::string_view table) {
    // gh-ost: "_" + t + "_gho" | "_del" | "_<14 digits>_del"; pt-osc: "_"... + t + "_new" | "_old".
    if (table.size() < 6 || table.front() != '_') return std::nullopt;
    const std::string_view suffix = table.substr(table.size() - 4);
    std::string_view rest = table.substr(1, table.size() - 5);
    if (suffix == "_new" || suffix == "_old") {
        while (!rest.empty() && rest.front() == '_') rest.remove_prefix(1);
    } else if (suffix == "_del") {
        const auto stamped = rest.size() > 15 ? rest.substr(rest.size() - 15) : std::string_view();
        if (stamped.size() == 15 && stamped.front() == '_' &&
            std::all_of(stamped.begin() + 1, stamped.end(), [](unsigned char c) { return std::isdigit(c); }))
            rest.remove_suffix(15);
    } else if (suffix != "_gho") {
        return std::nullopt;
    }
    if (rest.empty()) return std::nullopt;
    return std::string(rest);
}

bool ObjectSelection::selectsDatabase(std::string_view db) const {
    if (isSystemSchema(db)) return false;
    for (const auto& r : exclude)
        if (r.tables.empty() && nameMatches(r.database, db, names)) return false;
    if (include.empty()) return true;
    return std::any_of(include.begin(), include.end(),
                       [&](const ObjectRule& r) { return nameMatches(r.database, db, names); });
}

bool ObjectSelection::selectsTable(std::string_view db, std::string_view table) const {
    if (!selectsDatabase(db)) return false;
    const auto listed = [&](const std::vector<ObjectRule>& rules, std::string_view t) {
        return std::any_of(rules.begin(), rules.end(),
                           [&](const ObjectRule& r) { return ruleMatches(r, db, t, names); });
    };
    if (listed(exclude, table)) return false;
    if (include.empty() || listed(include, table)) return true;
    // A shadow table goes with its table: both in, or both out.
    const auto base = shadowTableOf(table);
    return base && !listed(exclude, *base) && listed(include, *base);
}

bool ObjectSelection::selectsNewTablesIn(std::string_view db) const {
    if (!selectsDatabase(db)) return false;
    if (include.empty()) return true;
    // A rule listing tables by pattern takes the matching tables a database gets later too.
    const auto takesNew = [&](const ObjectRule& r) {
        return r.tables.empty() || std::any_of(r.tables.begin(), r.tables.end(), isNamePattern);
    };
    return std::any_of(include.begin(), include.end(),
                       [&](const ObjectRule& r) { return takesNew(r) && nameMatches(r.database, db, names); });
}

std::string ObjectSelection::stored(std::string_view name) const {
    std::string out(name);
    if (names == NameCase::Lower)
        std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

CapacityPlan capacityPlan(int capacity) {
    switch (capacity) {
        case 4: return {4, 214.2};
        case 8: return {8, 365.5};
        case 16: return {16, 424.6};
        default: return {2, 80.84};
    }
}

std::optional<std::string> instanceIdProblem(std::string_view id) {
    if (id.empty()) return "must not be empty";
    if (id.size() > 63) return "'" + std::string(id.substr(0, 20)) + "...' is longer than 63 characters";
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return "'" + std::string(id) + "' may hold only letters, digits, '-', '_' and '.'";
    return std::nullopt;
}

std::string instanceKey(std::string_view name, std::string_view namespace_, std::string_view instance) {
    if (!instance.empty()) return std::string(name) + "/" + std::string(instance);
    return namespace_ == "default" ? std::string(name) : std::string(namespace_) + "/" + std::string(name);
}

std::string MigrationJob::instanceKey() const {
    const std::string key = api::instanceKey(name, namespace_, instance);
    return severalSources() ? key + sourceKeySuffix(source.id) : key;
}

std::string MigrationJob::jobKey() const { return api::instanceKey(name, namespace_, instance); }

std::string sourceKeySuffix(std::string_view sourceId) {
    std::uint32_t h = 2166136261u;  // FNV-1a: stable across builds and platforms
    for (unsigned char c : sourceId) h = (h ^ c) * 16777619u;
    char text[6];
    std::snprintf(text, sizeof text, "@%04x", static_cast<unsigned>((h ^ (h >> 16)) & 0xffffu));
    return text;
}

MigrationJob MigrationJob::forSource(std::string_view id) const {
    for (const auto& s : sources) {
        if (s.id != id) continue;
        MigrationJob one = *this;
        one.source = s;
        return one;
    }
    std::string known;
    for (const auto& s : sources) known += (known.empty() ? "" : ", ") + s.id;
    throw ManifestError("job " + name + ": no source has id '" + std::string(id) + "' (spec.sources: " + known + ")");
}

std::optional<std::string> jobNameProblem(std::string_view name) {
    if (name.empty()) return "must not be empty";
    if (!std::isalpha(static_cast<unsigned char>(name.front())))
        return "'" + std::string(name) + "' must start with a letter";
    if (name.size() >= 60)
        return "'" + std::string(name.substr(0, 20)) + "...' is " + std::to_string(name.size()) +
            " characters; it must be shorter than 60";
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return "'" + std::string(name) + "' may hold only letters, digits, '_' and '-'";
    return std::nullopt;
}

namespace {
MigrationJob parseDocument(const YAML::Node& root, std::string_view origin);

SourceEndpoint parseSource(const Fields& source, bool idRequired) {
    source.allowOnly({"flavor", "host", "port", "credentialsSecret", "tls", "id"});
    SourceEndpoint endpoint;
    endpoint.flavor = source.enumeration("flavor", kFlavors, SourceFlavor::MySQL);
    parseEndpoint(source, endpoint, 3306);
    endpoint.id =
        idRequired ? source.string("id") : source.string("id", endpoint.host + ":" + std::to_string(endpoint.port));
    if (endpoint.id.empty() || endpoint.id.size() > 64) source.fail(source.child("id"), "must be 1 to 64 characters");
    return endpoint;
}

// spec.source, or spec.sources (each with an id: it names the source's checkpoints, its rows'
// `source` extra column and its part of the status).
std::vector<SourceEndpoint> parseSources(const Fields& spec) {
    if (spec.has("source") && spec.has("sources"))
        spec.fail("spec.sources", "give either spec.source or spec.sources, not both");
    if (!spec.has("sources")) return {parseSource(spec.object("source"), false)};
    std::vector<SourceEndpoint> sources;
    for (const auto& item : listItems(spec, "sources", "{id, flavor, host, port, credentialsSecret, tls}")) {
        auto endpoint = parseSource(item, true);
        for (const auto& earlier : sources) {
            if (earlier.id == endpoint.id)
                item.fail(item.child("id"), "'" + endpoint.id + "' names an earlier source too");
            if (sourceKeySuffix(earlier.id) == sourceKeySuffix(endpoint.id))
                item.fail(item.child("id"),
                          "'" + endpoint.id + "' and '" + earlier.id +
                              "' give the same checkpoint key suffix; rename one of them");
        }
        sources.push_back(std::move(endpoint));
    }
    if (sources.empty()) spec.fail("spec.sources", "must list at least one source");
    return sources;
}
}  // namespace

MigrationJob parseManifest(std::string_view text, std::string_view origin) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        throw ManifestError(std::string(origin) + ":" + std::to_string(e.mark.line + 1) + ":" +
                            std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
    }
    if (!root.IsDefined() || root.IsNull()) throw ManifestError(std::string(origin) + ": the manifest is empty");
    try {
        return parseDocument(root, origin);
    } catch (const YAML::Exception& e) {
        // A shape the walker did not foresee; still one line, never a crash.
        throw ManifestError(std::string(origin) + ": invalid manifest: " + e.msg);
    }
}

namespace {
MigrationJob parseDocument(const YAML::Node& root, std::string_view origin) {
    Fields top(root, "", origin);
    top.allowOnly({"apiVersion", "kind", "metadata", "spec", "status"});
    if (auto v = top.string("apiVersion"); v != kApiVersion)
        top.fail("apiVersion", "expected " + std::string(kApiVersion) + ", got '" + v + "'");
    if (auto k = top.string("kind"); k != kKind) top.fail("kind", "expected MigrationJob, got '" + k + "'");

    MigrationJob job;
    auto meta = top.object("metadata");
    job.name = meta.string("name");
    if (auto p = jobNameProblem(job.name)) top.fail("metadata.name", *p);
    job.namespace_ = meta.string("namespace", "default");
    job.instance = meta.string("uid", "");
    if (meta.has("annotations")) {
        auto annotations = meta.object("annotations");
        if (annotations.has(kInstanceAnnotation)) {
            const std::string path = "metadata.annotations[" + std::string(kInstanceAnnotation) + "]";
            job.instance = annotations.string(kInstanceAnnotation);
            if (auto p = instanceIdProblem(job.instance)) top.fail(path, *p);
        }
    }

    auto spec = top.object("spec");
    spec.allowOnly({"type", "fullMode", "source", "sources", "target", "objects", "incremental", "capacity", "precheck",
                    "ddl", "shardDdl", "paused", "restartToken", "runnerPod", "cutover", "validation", "routes",
                    "filters", "rowFilters"});
    job.type = spec.enumeration("type", kJobTypes, JobType::FullAndIncremental);
    job.fullMode = spec.enumeration("fullMode", kFullModes, FullMode::Logical);
    // The product's rule: Physical is for full-plus-incremental jobs; a job that migrates only
    // existing data copies in Logical mode, and an Incremental job copies nothing.
    if (job.fullMode == FullMode::Physical && job.type != JobType::FullAndIncremental)
        spec.fail("spec.fullMode",
                  "Physical mode needs a full copy followed by replication: use type FullAndIncremental "
                  "(a Full-only job copies in Logical mode; an Incremental job copies nothing)");

    job.sources = parseSources(spec);
    job.source = job.sources.front();

    auto target = spec.object("target");
    target.allowOnly({"host", "port", "credentialsSecret", "tls", "limits"});
    parseEndpoint(target, job.target, 4000);
    if (target.has("limits")) {
        auto limits = target.object("limits");
        limits.allowOnly({"transactionSize", "entrySize"});
        job.targetLimits.transactionBytes =
            parseBytes(limits, "transactionSize", job.targetLimits.transactionBytes, 1 << 20, std::uint64_t{1} << 40);
        job.targetLimits.entryBytes =
            parseBytes(limits, "entrySize", job.targetLimits.entryBytes, 1 << 10, std::uint64_t{1} << 40);
        if (job.targetLimits.entryBytes > job.targetLimits.transactionBytes)
            limits.fail("spec.target.limits.entrySize", "must not be larger than transactionSize");
    }

    if (spec.has("objects")) {
        auto objects = spec.object("objects");
        objects.allowOnly({"include", "exclude"});
        job.objects.include = parseRules(objects, "include");
        job.objects.exclude = parseRules(objects, "exclude");
        for (std::size_t i = 0; i < job.objects.include.size(); ++i)
            if (isSystemSchema(job.objects.include[i].database))
                spec.fail("spec.objects.include[" + std::to_string(i) + "].database",
                          "'" + job.objects.include[i].database + "' is a system schema and is never migrated");
    }

    job.consolidation = parseConsolidation(spec);

    if (spec.has("incremental")) {
        auto inc = spec.object("incremental");
        inc.allowOnly({"start", "safeModeDuration"});
        job.incremental.safeModeDuration = parseDuration(inc, "safeModeDuration", std::chrono::seconds(60));
        if (inc.has("start")) {
            if (job.type != JobType::Incremental)
                inc.fail("spec.incremental.start",
                         "a start position is only for type Incremental (a full copy hands over its own position)");
            auto start = inc.object("start");
            start.allowOnly({"binlogFile", "binlogPos", "gtidSet"});
            StartPosition pos;
            pos.gtidSet = start.string("gtidSet", "");
            pos.binlogFile = start.string("binlogFile", "");
            pos.binlogPos = static_cast<std::uint64_t>(start.integer("binlogPos", 4, 4, INT64_MAX));
            if (pos.gtidSet.empty() && pos.binlogFile.empty())
                start.fail("spec.incremental.start", "give binlogFile (with binlogPos) or gtidSet");
            if (!pos.gtidSet.empty() && !pos.binlogFile.empty())
                start.fail("spec.incremental.start", "give either binlogFile/binlogPos or gtidSet, not both");
            job.incremental.start = pos;
        }
    }

    job.capacity = static_cast<int>(spec.integer("capacity", 2, 0, 1024));
    if (job.capacity != 2 && job.capacity != 4 && job.capacity != 8 && job.capacity != 16)
        spec.fail("spec.capacity", "must be one of 2, 4, 8, 16, got " + std::to_string(job.capacity));

    if (spec.has("precheck")) {
        auto pre = spec.object("precheck");
        pre.allowOnly({"ignoreWarnings", "skip", "recheck"});
        job.precheck.ignoreWarnings = pre.boolean("ignoreWarnings", false);
        job.precheck.skip = pre.strings("skip");
    }
    if (spec.has("ddl")) {
        auto ddl = spec.object("ddl");
        ddl.allowOnly({"skip"});
        job.ddl.skip = ddl.strings("skip");
        static const std::regex position(R"(^[^:\s]+:\d+$)");
        for (std::size_t i = 0; i < job.ddl.skip.size(); ++i)
            if (!std::regex_match(job.ddl.skip[i], position))
                ddl.fail("spec.ddl.skip[" + std::to_string(i) + "]",
                         "expected a source position binlog-file:offset (as status.incremental.failedDdl.position "
                         "shows it), got '" +
                             job.ddl.skip[i] + "'");
    }
    if (spec.has("shardDdl")) {
        auto shardDdl = spec.object("shardDdl");
        shardDdl.allowOnly({"mode"});
        job.shardDdl.mode = shardDdl.enumeration("mode", kShardDdlModes, ShardDdlSpec::Mode::Pessimistic);
    }
    job.paused = spec.boolean("paused", false);
    if (spec.has("cutover")) {
        auto cut = spec.object("cutover");
        cut.allowOnly({"token", "stopAt", "quietSeconds", "afterwards"});
        if (!job.replicates())
            cut.fail("spec.cutover", "a cutover ends replication: it needs type Incremental or FullAndIncremental");
        job.cutover.token = cut.string("token", "");
        job.cutover.stopAt = cut.string("stopAt", "now");
        static const std::regex filePos(R"(^[^:\s]+:\d+$)");
        // A MySQL GTID set (uuid[:tag]:intervals, comma-separated) or a MariaDB one (domain-server-seq, ...).
        static const std::regex gtidSet(
            R"(^\s*[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}:[A-Za-z0-9_:\-]+)"
            R"((\s*,\s*[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}:[A-Za-z0-9_:\-]+)*\s*$)"
            R"(|^\s*[0-9]+-[0-9]+-[0-9]+(\s*,\s*[0-9]+-[0-9]+-[0-9]+)*\s*$)");
        const std::string& at = job.cutover.stopAt;
        if (at != "now" && !std::regex_match(at, filePos) && !std::regex_match(at, gtidSet))
            cut.fail("spec.cutover.stopAt",
                     "expected now, a binlog position file:offset or a GTID set, got '" + at + "'");
        job.cutover.quietSeconds = static_cast<int>(cut.integer("quietSeconds", 5, 0, 3600));
        job.cutover.afterwards = cut.enumeration("afterwards", kAfterwards, CutoverSpec::Afterwards::Pause);
    }
    if (spec.has("validation")) {
        auto val = spec.object("validation");
        val.allowOnly({"changedRows", "recheckAfterSeconds", "fullScan"});
        job.validation.changedRows = val.boolean("changedRows", true);
        job.validation.recheckAfterSeconds = static_cast<int>(val.integer("recheckAfterSeconds", 5, 1, 3600));
        if (val.has("fullScan")) {
            auto scan = val.object("fullScan");
            scan.allowOnly({"enabled", "rowsPerSecond", "pauseSeconds"});
            auto& full = job.validation.fullScan;
            full.enabled = scan.boolean("enabled", false);
            full.rowsPerSecond = static_cast<int>(scan.integer("rowsPerSecond", 10000, 1, 10000000));
            full.pauseSeconds = static_cast<int>(scan.integer("pauseSeconds", 300, 0, 604800));
        }
    }
    // How the operator shapes this job's runner pod; the runner itself ignores it. The operator
    // checks the values (operator/runner_pod.h runnerPodTemplateFor); here only the field names.
    if (spec.has("runnerPod"))
        spec.object("runnerPod")
            .allowOnly({"imagePullSecrets", "nodeSelector", "tolerations", "affinity", "priorityClassName", "labels",
                        "annotations", "resourcesPerCapacityUnit"});
    return job;
}
}  // namespace

MigrationJob loadManifest(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ManifestError(path + ": cannot read the manifest file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parseManifest(ss.str(), path);
}

}  // namespace tidemark::api
