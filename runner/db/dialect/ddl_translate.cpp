#include "runner/db/dialect/ddl_translate.h"

#include <algorithm>
#include <cctype>

#include "runner/db/connection.h"
#include "runner/db/dialect/collations.h"
#include "runner/db/dialect/sql_tokens.h"
#include "runner/db/dialect/types.h"

namespace tidemark::db::dialect {

namespace {

// Every charset MySQL 8-9 and MariaDB 10-11 know: a word after CHARACTER SET / CHARSET is taken
// as a charset only when it is one of these (an unquoted column may be named `charset`).
constexpr std::string_view kServerCharsets[] = {
    "armscii8", "ascii", "big5",    "binary", "cp1250",  "cp1251", "cp1256", "cp1257",  "cp850",    "cp852",  "cp866",
    "cp932",    "dec8",  "eucjpms", "euckr",  "gb18030", "gb2312", "gbk",    "geostd8", "greek",    "hebrew", "hp8",
    "keybcs2",  "koi8r", "koi8u",   "latin1", "latin2",  "latin5", "latin7", "macce",   "macroman", "sjis",   "swe7",
    "tis620",   "ucs2",  "ujis",    "utf16",  "utf16le", "utf32",  "utf8",   "utf8mb3", "utf8mb4"};

// MariaDB table options TiDB's parser does not know.
constexpr std::string_view kDroppedTableOptions[] = {"PAGE_CHECKSUM",          "TRANSACTIONAL", "PAGE_COMPRESSED",
                                                     "PAGE_COMPRESSION_LEVEL", "ENCRYPTED",     "ENCRYPTION_KEY_ID"};

// Words that start an index or constraint (not a column) in a table body or after ADD.
constexpr std::string_view kIndexStarts[] = {"PRIMARY", "UNIQUE",     "KEY",     "INDEX", "FULLTEXT",
                                             "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK"};

template <std::size_t N>
bool in(const std::string_view (&list)[N], std::string_view w) {
    return std::find(std::begin(list), std::end(list), w) != std::end(list);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string describe(const ServerInfo& s) {
    std::string out(nameOf(s.flavor));
    if (s.major > 0)
        out += " " + std::to_string(s.major) + "." + std::to_string(s.minor) + "." + std::to_string(s.patch);
    return out;
}

struct Edit {
    std::size_t begin, end;
    std::string text;
};

enum class Object { Table, Sequence, Index, Database, Other };

class Translator {
public:
    Translator(std::string_view sql, const ServerInfo& target)
        : sql_(sql), t_(tokenize(sql)), target_(target), gone_(t_.size(), false) {}

    DdlTranslation run() {
        readHead();
        if (target_.isMariaDB()) {
            out_.statements.emplace_back(sql_);
            return out_;
        }
        if (object_ == Object::Sequence || tableIsSequence()) {
            if (verb_ == "DROP") {
                note("DROP SEQUENCE runs nothing: sequences are not migrated to " +
                     std::string(nameOf(target_.flavor)));
                return out_;
            }
            refuse("sequence " + subject() + ": MariaDB sequences are not migrated to " + describe(target_) +
                   "; create it on the target by hand (START WITH the source's next value) and skip this statement");
            return out_;
        }
        if (target_.isTidb()) {
            words();
            if (object_ == Object::Table && verb_ == "CREATE") createTable();
            else if (object_ == Object::Table && verb_ == "ALTER") alterTable();
            else if (object_ == Object::Index && verb_ == "CREATE") createIndex();
            if (!out_.refusal.empty()) return out_;
        }
        if (orReplace_ && object_ == Object::Table && verb_ == "CREATE") {
            // MariaDB's CREATE OR REPLACE TABLE: neither MySQL nor TiDB has it (and it takes no
            // IF NOT EXISTS). Dropping first is as idempotent as the original when run again.
            edits_.push_back({t_[0].end, t_[orReplaceEnd_].end, ""});
            out_.statements.push_back(std::string("DROP ") + (temporary_ ? "TEMPORARY " : "") + "TABLE IF EXISTS " +
                                      std::string(nameText_));
            note("CREATE OR REPLACE TABLE run as DROP TABLE IF EXISTS, then CREATE TABLE");
        }
        if (alterEmptied_) {
            note("ALTER TABLE " + subject() + " runs nothing: each of its options was dropped");
            return out_;
        }
        out_.statements.push_back(applyEdits());
        return out_;
    }

private:
    bool at(std::size_t i, std::string_view upperWord) const { return i < t_.size() && t_[i].is(upperWord); }
    bool sym(std::size_t i, char c) const { return i < t_.size() && t_[i].isSymbol(c); }

    void refuse(std::string message) {
        if (out_.refusal.empty()) out_.refusal = std::move(message);
    }
    void note(std::string line) {
        if (std::find(out_.changes.begin(), out_.changes.end(), line) == out_.changes.end())
            out_.changes.push_back(std::move(line));
    }
    std::string subject() const {
        if (!nameText_.empty()) return std::string(nameText_);
        return std::string(sql_.substr(0, std::min<std::size_t>(sql_.size(), 40)));
    }
    std::string text(std::size_t from, std::size_t to) const {
        return std::string(sql_.substr(t_[from].begin, t_[to - 1].end - t_[from].begin));
    }

    // Removes tokens [from, to) and the blank before them.
    void remove(std::size_t from, std::size_t to) {
        std::fill(gone_.begin() + from, gone_.begin() + to, true);
        std::size_t b = t_[from].begin;
        if (b > 0 && sql_[b - 1] == ' ') --b;
        edits_.push_back({b, t_[to - 1].end, ""});
    }
    // Removes tokens [from, to) of a comma-separated list, with the comma that joins them to it.
    void removeListed(std::size_t from, std::size_t to) {
        std::fill(gone_.begin() + from, gone_.begin() + to, true);
        if (from > 0 && sym(from - 1, ',')) {
            edits_.push_back({t_[from - 1].begin, t_[to - 1].end, ""});
        } else if (sym(to, ',')) {
            std::size_t b = t_[from].begin;
            if (b > 0 && sql_[b - 1] == ' ') --b;
            edits_.push_back({b, t_[to].end, ""});
        } else {
            remove(from, to);
        }
    }
    void replaceToken(std::size_t i, std::string text) { edits_.push_back({t_[i].begin, t_[i].end, std::move(text)}); }

    // Index just past the parenthesized group opening at `i`.
    std::size_t pastParens(std::size_t i) const {
        int depth = 0;
        for (; i < t_.size(); ++i) {
            if (sym(i, '(')) ++depth;
            else if (sym(i, ')') && --depth == 0) return i + 1;
        }
        return t_.size();
    }
    // Splits [from, to) at the commas outside parentheses.
    std::vector<std::pair<std::size_t, std::size_t>> split(std::size_t from, std::size_t to) const {
        std::vector<std::pair<std::size_t, std::size_t>> out;
        int depth = 0;
        std::size_t start = from;
        for (std::size_t i = from; i < to; ++i) {
            if (sym(i, '(')) ++depth;
            else if (sym(i, ')')) --depth;
            else if (depth == 0 && sym(i, ',')) {
                out.emplace_back(start, i);
                start = i + 1;
            }
        }
        if (start < to) out.emplace_back(start, to);
        return out;
    }
    std::size_t skipIfExists(std::size_t i) const {
        if (at(i, "IF") && at(i + 1, "NOT") && at(i + 2, "EXISTS")) return i + 3;
        if (at(i, "IF") && at(i + 1, "EXISTS")) return i + 2;
        return i;
    }
    // A name (`a` or `a`.`b`) at `i`: its text as written; returns the index after it.
    std::size_t readName(std::size_t i, std::string_view* out) const {
        if (i >= t_.size() || !t_[i].isName()) return i;
        std::size_t last = i;
        if (sym(i + 1, '.') && i + 2 < t_.size() && t_[i + 2].isName()) last = i + 2;
        *out = sql_.substr(t_[i].begin, t_[last].end - t_[i].begin);
        return last + 1;
    }

    void readHead() {
        if (t_.empty()) return;
        verb_ = t_[0].upper();
        std::size_t i = 1;
        if (verb_ == "CREATE" && at(i, "OR") && at(i + 1, "REPLACE")) {
            orReplace_ = true;
            orReplaceEnd_ = i + 1;
            i += 2;
        }
        while (at(i, "ONLINE") || at(i, "OFFLINE") || at(i, "IGNORE")) ++i;
        if (at(i, "TEMPORARY")) {
            temporary_ = true;
            ++i;
        }
        if (at(i, "TABLE")) object_ = Object::Table;
        else if (at(i, "SEQUENCE")) object_ = Object::Sequence;
        else if (at(i, "DATABASE") || at(i, "SCHEMA")) object_ = Object::Database;
        else {
            while (at(i, "UNIQUE") || at(i, "FULLTEXT") || at(i, "SPATIAL")) {
                spatialIndex_ = spatialIndex_ || at(i, "SPATIAL");
                ++i;
            }
            if (at(i, "INDEX") || at(i, "KEY")) object_ = Object::Index;
        }
        if (object_ == Object::Other) return;
        i = skipIfExists(i + 1);
        if (object_ == Object::Index) {
            indexName_ = i < t_.size() && t_[i].isName() ? quoteIdent(t_[i].text) : "";
            while (i < t_.size() && !at(i, "ON")) ++i;
            if (at(i, "ON")) ++i;
        }
        afterName_ = readName(i, &nameText_);
    }

    // MariaDB shows a sequence as CREATE TABLE ... SEQUENCE=1.
    bool tableIsSequence() const {
        if (object_ != Object::Table) return false;
        for (std::size_t i = afterName_; i + 2 < t_.size(); ++i)
            if (at(i, "SEQUENCE") && sym(i + 1, '=') && t_[i + 2].text == "1") return true;
        return false;
    }

    // Charsets, collations and system versioning, wherever they stand in the statement.
    void words() {
        for (std::size_t k = 0; k < t_.size(); ++k) {
            const Token& tk = t_[k];
            if (tk.kind != Token::Word) continue;
            if ((tk.is("SYSTEM") && at(k + 1, "VERSIONING")) ||
                (tk.is("PERIOD") && at(k + 1, "FOR") && at(k + 2, "SYSTEM_TIME"))) {
                refuse(subject() + " is system-versioned: TiDB has no system-versioned tables; run ALTER TABLE " +
                       subject() + " DROP SYSTEM VERSIONING on the source, or exclude the table");
            } else if (tk.is("PERIOD") && at(k + 1, "FOR")) {
                refuse(subject() +
                       " has an application-time period (PERIOD FOR): TiDB has none; drop the period on "
                       "the source, or exclude the table");
            } else if (tk.is("COLLATE")) {
                std::size_t v = sym(k + 1, '=') ? k + 2 : k + 1;
                if (v < t_.size() && t_[v].kind != Token::Symbol) collation(v);
            } else if ((tk.is("CHARACTER") && at(k + 1, "SET")) || tk.is("CHARSET")) {
                std::size_t v = tk.is("CHARSET") ? k + 1 : k + 2;
                if (sym(v, '=')) ++v;
                if (v < t_.size() && t_[v].kind != Token::Symbol) charset(v);
            } else if (lower(tk.text) == "_utf8mb3") {
                replaceToken(k, "_utf8");
                note("charset utf8mb3 -> utf8");
            }
        }
    }

    void charset(std::size_t v) {
        const std::string cs = lower(t_[v].text);
        if (!in(kServerCharsets, cs)) return;
        if (!tidbHasCharset(cs)) {
            refuse(subject() + " uses charset " + cs +
                   ", which TiDB lacks: convert those columns to utf8mb4 on the source, or exclude the table");
        } else if (cs == "gb18030" && target_.major > 0 && !target_.atLeast(9, 0)) {
            refuse(subject() + " uses charset gb18030, which TiDB has from v9.0 (the target is " + describe(target_) +
                   "): upgrade the target, or convert those columns to utf8mb4 on the source");
        } else if (cs != tidbCharset(cs)) {
            writeLike(v, tidbCharset(cs));
            note("charset " + cs + " -> " + tidbCharset(cs));
        }
    }

    void collation(std::size_t v) {
        const std::string co = lower(t_[v].text);
        const std::string mapped = tidbCollation(co);
        if (!tidbHasCollation(mapped)) {
            refuse(subject() + " uses collation " + co +
                   ", whose charset TiDB lacks: convert those columns to utf8mb4 on the source, or exclude the table");
            return;
        }
        if (mapped.find("_0900_") != std::string::npos && target_.major > 0 && !target_.atLeast(7, 4)) {
            refuse(subject() + " uses collation " + mapped + ", which TiDB has from v7.4 (the target is " +
                   describe(target_) + "): upgrade the target, or use utf8mb4_unicode_ci on the source");
            return;
        }
        if (mapped != co) {
            writeLike(v, mapped);
            note("collation " + co + " -> " + mapped);
        }
    }

    // Replaces token `v` by `word`, quoted the way the token was.
    void writeLike(std::size_t v, const std::string& word) {
        const Token& tk = t_[v];
        if (tk.kind == Token::String) replaceToken(v, "'" + word + "'");
        else if (tk.kind == Token::Quoted) replaceToken(v, "`" + word + "`");
        else replaceToken(v, word);
    }

    void createTable() {
        std::size_t i = afterName_;
        if (sym(i, '(')) {
            const std::size_t close = pastParens(i);  // one past the body's ')'
            for (auto [s, e] : split(i + 1, close - 1)) element(s, e);
            i = close;
        }
        std::size_t end = i;
        while (end < t_.size() && !at(end, "PARTITION") && !at(end, "AS") && !at(end, "SELECT") && !at(end, "IGNORE") &&
               !at(end, "REPLACE") && !sym(end, '('))
            ++end;
        tableOptions(i, end);
    }

    // One element of a table body: a column, an index or a constraint.
    void element(std::size_t s, std::size_t e) {
        if (s >= e) return;
        if (t_[s].kind == Token::Word && in(kIndexStarts, t_[s].upper())) index(s, e);
        else if (at(s, "PERIOD")) return;  // refused by words()
        else column(s, e);
    }

    void column(std::size_t s, std::size_t e) {
        if (s + 1 >= e || !t_[s].isName()) return;
        const std::string name = quoteIdent(t_[s].text);
        if (t_[s + 1].kind == Token::Word) {
            if (const MissingType* m = tidbMissingType(t_[s + 1].text)) {
                refuse("column " + name + " of " + subject() + " is " + t_[s + 1].upper() + ", which TiDB lacks (" +
                       std::string(m->family) + " types): " + std::string(m->advice));
                return;
            }
        }
        int depth = 0;
        for (std::size_t k = s + 2; k < e; ++k) {
            if (sym(k, '(')) ++depth;
            else if (sym(k, ')')) --depth;
            if (depth != 0 || t_[k].kind != Token::Word) continue;
            if (t_[k].is("INVISIBLE")) {
                remove(k, k + 1);
                note("column " + name + " of " + subject() + " is visible on TiDB (it has no invisible columns)");
            } else if (t_[k].is("COMPRESSED")) {
                std::size_t to = k + 1;
                if (sym(to, '=') && to + 1 < e) to += 2;  // COMPRESSED=zlib
                remove(k, to);
                note("column " + name + " of " + subject() +
                     " is stored uncompressed (TiDB lacks MariaDB's COMPRESSED)");
                k = to - 1;
            }
        }
    }

    void index(std::size_t s, std::size_t e) {
        if (at(s, "SPATIAL")) {
            std::size_t n = s + 1;
            if (at(n, "KEY") || at(n, "INDEX")) ++n;
            const std::string name = n < e && t_[n].isName() ? " " + quoteIdent(t_[n].text) : "";
            refuse("SPATIAL index" + name + " of " + subject() +
                   ": TiDB has no spatial indexes; drop the index on the source, or exclude the table");
            return;
        }
        indexOptions(s, e);
    }

    // MariaDB's IGNORED index (10.6+) is MySQL's and TiDB's INVISIBLE one.
    void indexOptions(std::size_t s, std::size_t e) {
        int depth = 0;
        for (std::size_t k = s; k < e; ++k) {
            if (sym(k, '(')) ++depth;
            else if (sym(k, ')')) --depth;
            if (depth != 0 || !at(k, "IGNORED")) continue;
            if (k > s && at(k - 1, "NOT")) {
                edits_.push_back({t_[k - 1].begin, t_[k].end, "VISIBLE"});
            } else {
                replaceToken(k, "INVISIBLE");
                note("index option IGNORED written INVISIBLE");
            }
        }
    }

    // Table options in [s, e).
    void tableOptions(std::size_t s, std::size_t e) {
        for (std::size_t k = s; k < e; ++k) {
            if (t_[k].kind != Token::Word) continue;
            const std::string w = t_[k].upper();
            std::size_t v = sym(k + 1, '=') ? k + 2 : k + 1;
            if (v >= e) continue;
            const bool pageRowFormat = w == "ROW_FORMAT" && t_[v].is("PAGE");
            if (in(kDroppedTableOptions, w) || pageRowFormat) {
                note("table option " + text(k, v + 1) + " dropped (TiDB lacks it)");
                removeListed(k, v + 1);
                k = v;
            } else if (w == "ENGINE" && (t_[v].is("ARIA") || t_[v].is("MYISAM"))) {
                note("ENGINE=" + t_[v].text + " written ENGINE=InnoDB");
                replaceToken(v, "InnoDB");
                k = v;
            }
        }
    }

    void alterTable() {
        const auto specs = split(afterName_, t_.size());
        std::size_t emptied = 0;
        for (auto [s, e] : specs) {
            if (at(s, "ADD")) {
                std::size_t j = s + 1;
                const bool column = at(j, "COLUMN");
                if (column) ++j;
                j = skipIfExists(j);
                if (sym(j, '(')) {
                    for (auto [a, b] : split(j + 1, pastParens(j) - 1)) element(a, b);
                } else if (!column && j < e && t_[j].kind == Token::Word && in(kIndexStarts, t_[j].upper())) {
                    index(j, e);
                } else if (!at(j, "PARTITION") && !at(j, "SYSTEM") && !at(j, "PERIOD")) {
                    this->column(j, e);
                }
            } else if (at(s, "MODIFY") || at(s, "CHANGE")) {
                std::size_t j = s + 1;
                if (at(j, "COLUMN")) ++j;
                j = skipIfExists(j);
                if (at(s, "CHANGE")) ++j;  // the old name
                this->column(j, e);
            } else if (at(s, "ALTER") && (at(s + 1, "INDEX") || at(s + 1, "KEY"))) {
                indexOptions(s, e);
            } else if (!at(s, "DROP") && !at(s, "RENAME") && !at(s, "ALTER") && !at(s, "ORDER")) {
                tableOptions(s, e);
                if (std::all_of(gone_.begin() + s, gone_.begin() + e, [](bool g) { return g; })) ++emptied;
            }
        }
        alterEmptied_ = !specs.empty() && emptied == specs.size();
    }

    void createIndex() {
        if (spatialIndex_) {
            refuse("SPATIAL index " + indexName_ + " of " + subject() +
                   ": TiDB has no spatial indexes; skip this statement, or exclude the table");
            return;
        }
        indexOptions(afterName_, t_.size());
    }

    std::string applyEdits() {
        std::sort(edits_.begin(), edits_.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
        std::string out;
        std::size_t pos = 0;
        for (const auto& e : edits_) {
            if (e.begin < pos) {  // overlapping removals (a comma both neighbours claimed)
                if (e.end > pos) pos = e.end;
                continue;
            }
            out.append(sql_.substr(pos, e.begin - pos));
            out += e.text;
            pos = e.end;
        }
        out.append(sql_.substr(pos));
        return out;
    }

    std::string_view sql_;
    std::vector<Token> t_;
    const ServerInfo& target_;
    DdlTranslation out_;
    std::vector<Edit> edits_;
    std::vector<bool> gone_;  // tokens removed

    std::string verb_;
    Object object_ = Object::Other;
    bool orReplace_ = false, temporary_ = false, spatialIndex_ = false, alterEmptied_ = false;
    std::size_t orReplaceEnd_ = 0;
    std::size_t afterName_ = 0;  // first token after the object's name
    std::string_view nameText_;  // the object's name as written (`d`.`t`, t)
    std::string indexName_;
};

}  // namespace

DdlTranslation translateDdl(std::string_view statement, const ServerInfo& target) {
    DdlTranslation out = Translator(statement, target).run();
    if (out.refused()) out.statements.clear();
    return out;
}

}  // namespace tidemark::db::dialect
