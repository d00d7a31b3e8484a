#include "runner/copy/physical_writer.h"

#include "runner/copy/full_copy.h"

#include <errmsg.h>
#include <mysql.h>

#include <array>
#include <cstring>

namespace tidemark::copy {

namespace {
db::ConnectOptions withLocalInfile(db::ConnectOptions o) {
    o.allowLocalInfile = true;
    return o;
}
}  // namespace

struct InfileCallbacks {
    static int init(void** ptr, const char*, void* userdata) {
        auto* w = static_cast<LoadDataWriter*>(userdata);
        w->offset_ = 0;
        *ptr = w;
        return 0;
    }
    static int read(void* ptr, char* buf, unsigned int len) {
        auto* w = static_cast<LoadDataWriter*>(ptr);
        const std::size_t n = std::min<std::size_t>(len, w->data_->size() - w->offset_);
        std::memcpy(buf, w->data_->data() + w->offset_, n);
        w->offset_ += n;
        return static_cast<int>(n);
    }
    static void end(void*) {}
    static int error(void*, char* msg, unsigned int len) {
        std::snprintf(msg, len, "tidemark: local infile error");
        return CR_UNKNOWN_ERROR;
    }
};

std::string loadDataStatement(const TableWork& t) {
    std::string cols, sets;
    for (std::size_t i = 0; i < t.written.size(); ++i) {
        const Column& c = t.info.columns[t.written[i]];
        if (i) cols += ", ";
        if (c.kind == ValueKind::Bit) {
            const std::string var = "@tidemark_bit" + std::to_string(i);
            cols += var;
            sets += (sets.empty() ? " SET " : ", ") + db::quoteIdent(c.name) + " = CAST(" + var + " AS UNSIGNED)";
        } else if (convertedOnWrite(c)) {
            const std::string var = "@tidemark_text" + std::to_string(i);
            cols += var;
            sets += (sets.empty() ? " SET " : ", ") + db::quoteIdent(c.name) + " = " + writeExpression(c, var);
        } else {
            cols += db::quoteIdent(c.name);
        }
    }
    for (auto& e : t.target.extras)
        sets += (sets.empty() ? " SET " : ", ") + db::quoteIdent(e.column) + " = " + consolidate::extraLiteral(e.value);
    return "LOAD DATA LOCAL INFILE 'tidemark.tsv' INTO TABLE " + t.target.qualified() +
        " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (" + cols + ")" +
        sets;
}

void appendTsvRow(std::string& out, const TableWork& t, char** row, const unsigned long* lengths) {
    static const auto special = [] {
        std::array<char, 256> a{};
        a[0] = '0';
        a['\\'] = '\\';
        a['\t'] = 't';
        a['\n'] = 'n';
        return a;
    }();
    for (std::size_t i = 0; i < t.written.size(); ++i) {
        if (i) out += '\t';
        if (!row[i]) {
            out += "\\N";
            continue;
        }
        const char* p = row[i];
        const std::size_t n = lengths[i];
        std::size_t start = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const char e = special[static_cast<unsigned char>(p[k])];
            if (e == 0 && p[k] != 0) continue;
            out.append(p + start, k - start);
            out += '\\';
            out += e;
            start = k + 1;
        }
        out.append(p + start, n - start);
    }
    out += '\n';
}

LoadDataWriter::LoadDataWriter(const db::ConnectOptions& target, bool tidb)
    : BatchWriter(withLocalInfile(target), tidb, true) {}

void LoadDataWriter::execute(const Batch& b) {
    data_ = &b.data;
    offset_ = 0;
    mysql_set_local_infile_handler(conn_.raw(), &InfileCallbacks::init, &InfileCallbacks::read, &InfileCallbacks::end,
                                   &InfileCallbacks::error, this);
    try {
        conn_.execute(b.chunk->table->writePrefix);
    } catch (const db::DbError& e) {
        if (db::dialect::localInfileRefused(e.code()))
            throw CopyError(options_.endpoint() +
                            ": the target refuses LOAD DATA LOCAL INFILE, which physical mode "
                            "needs (" +
                            e.what() + "); enable it with SET GLOBAL local_infile = ON or use logical mode");
        throw;
    }
}

bool targetHasRows(db::Connection& target, const std::string& dbName, const std::string& table) {
    return target.scalar("SELECT 1 FROM " + db::qualified(dbName, table) + " LIMIT 1").has_value();
}

}  // namespace tidemark::copy
