#include "runner/replay/ddl.h"

#include <algorithm>
#include <cctype>

#include "runner/db/connection.h"
#include "runner/db/dialect/sql_tokens.h"

namespace tidemark::replay {

namespace {

using db::dialect::Token;
using db::dialect::tokenize;

std::string lowerAscii(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

class Parser {
public:
    Parser(std::vector<Token> t, std::string_view defaultDb, api::NameCase names, std::vector<WrittenName>& folded,
           std::vector<WrittenName>& written)
        : t_(std::move(t)),
          db_(defaultDb),
          lower_(names == api::NameCase::Lower),
          folded_(&folded),
          written_(&written) {}
    bool is(std::string_view word, size_t ahead = 0) const {
        return i_ + ahead < t_.size() && t_[i_ + ahead].kind == Token::Word && t_[i_ + ahead].upper() == word;
    }
    bool accept(std::string_view word) {
        if (!is(word)) return false;
        ++i_;
        return true;
    }
    bool acceptSymbol(char c) {
        if (i_ < t_.size() && t_[i_].kind == Token::Symbol && t_[i_].text[0] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool atEnd() const { return i_ >= t_.size(); }
    std::string upper() const { return atEnd() ? "" : t_[i_].upper(); }
    void skip() { ++i_; }
    size_t index() const { return i_; }
    const Token& at(size_t k) const { return t_[k]; }
    size_t size() const { return t_.size(); }

    bool ident(std::string& out) {
        if (atEnd() || (t_[i_].kind != Token::Word && t_[i_].kind != Token::Quoted)) return false;
        out = t_[i_++].text;
        return true;
    }
    std::string stored(std::string_view name) const { return lower_ ? lowerAscii(name) : std::string(name); }
    // A table name, as the source stores it; one written in another case is noted in `folded`.
    bool name(TableName& out) {
        std::string a, b;
        const std::size_t first = i_;
        if (!ident(a)) return false;
        if (acceptSymbol('.')) {
            if (!ident(b)) return false;
            out = {stored(a), stored(b)};
            if (out.database != a || out.table != b) folded_->push_back({t_[first].begin, t_[i_ - 1].end, out});
        } else {
            out = {stored(db_), stored(a)};
            if (out.table != a) folded_->push_back({t_[first].begin, t_[i_ - 1].end, out});
        }
        written_->push_back({t_[first].begin, t_[i_ - 1].end, out});
        return true;
    }
    void ifExists() {
        if (is("IF") && is("EXISTS", 1)) i_ += 2;
        else if (is("IF") && is("NOT", 1) && is("EXISTS", 2)) i_ += 3;
    }

private:
    std::vector<Token> t_;
    std::string_view db_;
    bool lower_ = false;
    std::vector<WrittenName>* folded_;
    std::vector<WrittenName>* written_;
    size_t i_ = 0;
};

// `statement` with the names in `spans` written as `nameFor` says.
template <class NameFor>
std::string withNames(std::string_view statement, const std::vector<WrittenName>& written, NameFor nameFor) {
    std::string out(statement);
    auto spans = written;
    std::sort(spans.begin(), spans.end(), [](const WrittenName& a, const WrittenName& b) { return a.begin > b.begin; });
    std::size_t limit = out.size();
    for (const auto& w : spans) {
        if (w.end > limit) continue;  // the same name noted twice (ALTER ... RENAME read again)
        out.replace(w.begin, w.end - w.begin, nameFor(w.stored));
        limit = w.begin;
    }
    return out;
}

}  // namespace

Ddl parseDdl(std::string_view statement, std::string_view defaultDb, api::NameCase names) {
    Ddl d;
    Parser p(tokenize(statement), defaultDb, names, d.folded, d.written);
    const std::string verb = p.upper();
    p.skip();
    // MariaDB's sequences: what the target does with them is the dialect's to say.
    const auto sequence = [&](std::string head) {
        p.skip();
        p.ifExists();
        TableName n;
        while (p.name(n)) {
            d.tables.push_back(n);
            if (!p.acceptSymbol(',')) break;
        }
        d.kind = d.tables.empty() ? DdlKind::Unknown : DdlKind::Sequence;
        d.head = std::move(head);
    };
    if (verb == "CREATE") {
        if (p.accept("OR")) p.accept("REPLACE");
        if (p.is("SEQUENCE")) {
            sequence("CREATE SEQUENCE");
        } else if (p.is("TABLE")) {
            p.skip();
            p.ifExists();
            TableName n;
            if (p.name(n)) {
                d.kind = DdlKind::CreateTable;
                d.tables.push_back(n);
                // CREATE TABLE t LIKE u / t (LIKE u): u is read for its name's case only.
                p.acceptSymbol('(');
                TableName like;
                if (p.accept("LIKE")) p.name(like);
            }
            d.head = "CREATE TABLE";
        } else if (p.is("DATABASE") || p.is("SCHEMA")) {
            p.skip();
            p.ifExists();
            if (p.ident(d.database)) d.kind = DdlKind::CreateDatabase;
            d.database = p.stored(d.database);
            d.head = "CREATE DATABASE";
        } else {
            bool index = false;
            while (!p.atEnd() && (p.is("UNIQUE") || p.is("FULLTEXT") || p.is("ONLINE") || p.is("OFFLINE"))) p.skip();
            if (p.accept("INDEX") || p.accept("KEY")) index = true;
            if (index) {
                p.ifExists();
                std::string indexName;
                p.ident(indexName);
                while (!p.atEnd() && !p.is("ON")) p.skip();
                TableName n;
                if (p.accept("ON") && p.name(n)) {
                    d.kind = DdlKind::CreateIndex;
                    d.tables.push_back(n);
                }
                d.head = "CREATE INDEX";
            } else {
                d.kind = DdlKind::Skipped;
                d.head = "CREATE " + p.upper();
            }
        }
    } else if (verb == "ALTER") {
        while (p.is("ONLINE") || p.is("IGNORE")) p.skip();
        if (p.is("SEQUENCE")) {
            sequence("ALTER SEQUENCE");
        } else if (p.accept("TABLE")) {
            p.ifExists();
            TableName n;
            d.head = "ALTER TABLE";
            if (p.name(n)) {
                d.kind = DdlKind::AlterTable;
                d.tables.push_back(n);
                // ALTER TABLE t ..., RENAME [TO|AS] u (not RENAME COLUMN/INDEX/KEY)
                for (size_t k = p.index(); k < p.size(); ++k) {
                    const Token& tk = p.at(k);
                    if (tk.kind != Token::Word || tk.upper() != "RENAME") continue;
                    Parser q = p;
                    while (q.index() < k + 1) q.skip();
                    if (q.is("COLUMN") || q.is("INDEX") || q.is("KEY") || q.is("CONSTRAINT")) continue;
                    if (!q.accept("TO")) q.accept("AS");
                    TableName to;
                    if (q.name(to)) {
                        d.hasRename = true;
                        d.renamedTable = to;
                    }
                }
            }
        } else if (p.accept("DATABASE") || p.accept("SCHEMA")) {
            d.head = "ALTER DATABASE";
            if (p.ident(d.database) && !(p.upper() == "UPGRADE")) d.kind = DdlKind::AlterDatabase;
            else d.kind = DdlKind::Skipped;
            d.database = p.stored(d.database);
        } else {
            d.kind = DdlKind::Skipped;
            d.head = "ALTER " + p.upper();
        }
    } else if (verb == "DROP") {
        if (p.is("SEQUENCE")) {
            sequence("DROP SEQUENCE");
        } else if (p.is("TABLE") || p.is("TABLES")) {
            p.skip();
            p.ifExists();
            d.head = "DROP TABLE";
            TableName n;
            while (p.name(n)) {
                d.tables.push_back(n);
                if (!p.acceptSymbol(',')) break;
            }
            d.kind = d.tables.empty() ? DdlKind::Unknown : DdlKind::DropTable;
        } else if (p.is("DATABASE") || p.is("SCHEMA")) {
            p.skip();
            p.ifExists();
            d.head = "DROP DATABASE";
            if (p.ident(d.database)) d.kind = DdlKind::DropDatabase;
            d.database = p.stored(d.database);
        } else if (p.is("INDEX") || p.is("KEY")) {
            p.skip();
            p.ifExists();
            std::string indexName;
            p.ident(indexName);
            TableName n;
            d.head = "DROP INDEX";
            if (p.accept("ON") && p.name(n)) {
                d.kind = DdlKind::DropIndex;
                d.tables.push_back(n);
            }
        } else {
            d.kind = DdlKind::Skipped;
            d.head = "DROP " + p.upper();
        }
    } else if (verb == "RENAME") {
        if (p.accept("TABLE") || p.accept("TABLES")) {
            d.head = "RENAME TABLE";
            TableName from, to;
            while (p.name(from) && p.accept("TO") && p.name(to)) {
                d.tables.push_back(from);
                d.tables.push_back(to);
                if (!p.acceptSymbol(',')) break;
            }
            d.kind = d.tables.empty() ? DdlKind::Unknown : DdlKind::RenameTable;
        } else {
            d.kind = DdlKind::Skipped;
            d.head = "RENAME " + p.upper();
        }
    } else if (verb == "TRUNCATE") {
        p.accept("TABLE");
        TableName n;
        d.head = "TRUNCATE TABLE";
        if (p.name(n)) {
            d.kind = DdlKind::TruncateTable;
            d.tables.push_back(n);
        }
    } else {
        d.kind = DdlKind::Skipped;
        d.head = verb;
    }
    if (d.kind == DdlKind::Skipped && d.head.empty()) d.head = verb;
    return d;
}

std::string statementWithNames(const Ddl& ddl, std::string_view statement,
                               const std::function<std::string(const TableName&)>& nameFor) {
    return withNames(statement, ddl.written, nameFor);
}

std::string targetStatement(const Ddl& d, std::string_view written, const api::ObjectSelection& sel,
                            const consolidate::Router& router) {
    // The target's name of a source table: its route (the table itself when none), as stored.
    auto target = [&](const TableName& n) {
        return router.hasRules() ? router.route(n.database, n.table).qualified() : db::qualified(n.database, n.table);
    };
    std::string renamedText;
    if (router.hasRules()) renamedText = withNames(written, d.written, target);
    else if (!d.folded.empty()) renamedText = withNames(written, d.folded, target);
    const std::string_view statement = renamedText.empty() ? written : std::string_view(renamedText);
    auto selected = [&](const TableName& n) { return sel.selectsTable(n.database, n.table); };
    const std::string targetDb = router.routeDatabase(d.database);
    switch (d.kind) {
        case DdlKind::CreateDatabase:
            if (!sel.selectsNewTablesIn(d.database)) return "";
            return "CREATE DATABASE IF NOT EXISTS " + db::quoteIdent(targetDb);
        case DdlKind::DropDatabase:
            // A routed database may hold other databases' tables too: never dropped for one of them.
            if (!sel.selectsNewTablesIn(d.database) || targetDb != d.database) return "";
            return "DROP DATABASE IF EXISTS " + db::quoteIdent(d.database);
        case DdlKind::AlterDatabase:
            return sel.selectsDatabase(d.database) && targetDb == d.database ? std::string(statement) : "";
        case DdlKind::CreateTable: {
            if (!selected(d.tables[0])) return "";
            // Add IF NOT EXISTS after "CREATE TABLE" so a statement replayed after a crash between
            // the DDL and its checkpoint is harmless. CREATE OR REPLACE is harmless run twice, and
            // takes no IF NOT EXISTS (MariaDB: "Incorrect usage of OR REPLACE and IF NOT EXISTS").
            auto toks = tokenize(statement);
            if (toks.size() > 1 && toks[1].upper() == "OR") return std::string(statement);
            for (size_t k = 0; k + 1 < toks.size(); ++k) {
                if (toks[k].kind == Token::Word && toks[k].upper() == "TABLE") {
                    if (toks[k + 1].upper() == "IF") return std::string(statement);
                    std::string s(statement);
                    s.insert(toks[k].end, " IF NOT EXISTS");
                    return s;
                }
            }
            return std::string(statement);
        }
        case DdlKind::Sequence:
            for (auto& n : d.tables)
                if (selected(n)) return std::string(statement);
            return "";
        case DdlKind::AlterTable:
        case DdlKind::CreateIndex:
        case DdlKind::DropIndex: return selected(d.tables[0]) ? std::string(statement) : "";
        case DdlKind::TruncateTable: return selected(d.tables[0]) ? "TRUNCATE TABLE " + target(d.tables[0]) : "";
        case DdlKind::DropTable: {
            std::string list;
            for (auto& n : d.tables) {
                if (!selected(n)) continue;
                if (!list.empty()) list += ", ";
                list += target(n);
            }
            return list.empty() ? "" : "DROP TABLE IF EXISTS " + list;
        }
        case DdlKind::RenameTable: {
            std::string list;
            for (size_t k = 0; k + 1 < d.tables.size(); k += 2) {
                if (!selected(d.tables[k])) continue;
                if (!list.empty()) list += ", ";
                list += target(d.tables[k]) + " TO " + target(d.tables[k + 1]);
            }
            return list.empty() ? "" : "RENAME TABLE " + list;
        }
        default: return "";
    }
}

}  // namespace tidemark::replay
