#include "runner/binlog/dump_format.h"

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "runner/binlog/temporal.h"

namespace tidemark::binlog {

namespace {

std::string fmt(const char* f, auto... args) {
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, f, args...);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
    std::string s(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(s.data(), s.size(), f, args...);
    s.resize(static_cast<size_t>(n));
    return s;
}

// mariadb-binlog prints local time; the fixtures were produced in UTC, and UTC keeps the
// output independent of the machine.
std::string timestampText(uint32_t ts) {
    Temporal t = civilFromEpoch(ts);
    return fmt("%02u%02u%02u %2u:%02u:%02u", t.year % 100u, unsigned(t.month), unsigned(t.day), unsigned(t.hour),
               unsigned(t.minute), unsigned(t.second));
}

std::string quoted(std::string_view s) {
    std::string out = "'";
    for (unsigned char c : s) {
        if (c > 0x1F) out += static_cast<char>(c);
        else out += fmt("\\x%02x", unsigned(c));
    }
    out += '\'';
    return out;
}

std::string bits(uint64_t v, unsigned n) {
    std::string s = "b'";
    for (unsigned i = n; i-- > 0;) s += ((v >> i) & 1) ? '1' : '0';
    return s + "'";
}

std::string typeString(const ColumnDef& c) {
    switch (c.realType) {
        case ColumnType::Tiny: return "TINYINT";
        case ColumnType::Short: return "SHORTINT";
        case ColumnType::Int24: return "MEDIUMINT";
        case ColumnType::Long: return "INT";
        case ColumnType::LongLong: return "LONGINT";
        case ColumnType::Float: return "FLOAT";
        case ColumnType::Double: return "DOUBLE";
        case ColumnType::NewDecimal: return fmt("DECIMAL(%u,%u)", unsigned(c.precision), unsigned(c.scale));
        case ColumnType::Timestamp: return "TIMESTAMP";
        case ColumnType::Timestamp2: return fmt("TIMESTAMP(%u)", unsigned(c.scale));
        case ColumnType::DateTime: return "DATETIME";
        case ColumnType::DateTime2: return fmt("DATETIME(%u)", unsigned(c.scale));
        case ColumnType::Time: return "TIME";
        case ColumnType::Time2: return fmt("TIME(%u)", unsigned(c.scale));
        case ColumnType::Date:
        case ColumnType::NewDate: return "DATE";
        case ColumnType::Year: return "YEAR";
        case ColumnType::Bit: return fmt("BIT(%u)", unsigned(c.bits));
        case ColumnType::Varchar:
        case ColumnType::VarString: return fmt("VARSTRING(%u)", c.length);
        case ColumnType::String: return fmt("STRING(%u)", c.length);
        case ColumnType::Enum: return c.length == 1 ? "ENUM(1 byte)" : fmt("ENUM(%u bytes)", c.length);
        case ColumnType::Set: return fmt("SET(%u bytes)", c.length);
        case ColumnType::Blob:
        case ColumnType::TinyBlob:
        case ColumnType::MediumBlob:
        case ColumnType::LongBlob:
            switch (c.length) {
                case 1: return "TINYBLOB/TINYTEXT";
                case 2: return "BLOB/TEXT";
                case 3: return "MEDIUMBLOB/MEDIUMTEXT";
                default: return "LONGBLOB/LONGTEXT";
            }
        case ColumnType::Json: return "JSON";
        case ColumnType::Geometry: return "GEOMETRY";
        case ColumnType::Vector: return "VECTOR";
        default: return columnTypeName(c.realType);
    }
}

unsigned integerBytes(ColumnType t) {
    switch (t) {
        case ColumnType::Tiny: return 1;
        case ColumnType::Short: return 2;
        case ColumnType::Int24: return 3;
        case ColumnType::Long: return 4;
        default: return 8;
    }
}

// mariadb-binlog shows integers signed, and the unsigned reading too when negative.
std::string integerText(const Value& v, const ColumnDef& c) {
    unsigned bytes = integerBytes(c.realType);
    uint64_t raw = v.kind == Value::Kind::UInt ? v.u : static_cast<uint64_t>(v.i);
    if (bytes < 8) raw &= (uint64_t{1} << (8 * bytes)) - 1;
    int64_t s = static_cast<int64_t>(raw);
    if (bytes < 8 && (raw >> (8 * bytes - 1)) & 1) s = static_cast<int64_t>(raw | (~uint64_t{0} << (8 * bytes)));
    std::string out = std::to_string(s);
    if (s < 0) out += " (" + std::to_string(raw) + ")";
    return out;
}

std::string valueText(const Value& v, const ColumnDef& c) {
    switch (v.kind) {
        case Value::Kind::Null: return "NULL";
        case Value::Kind::Int:
        case Value::Kind::UInt: return integerText(v, c);
        case Value::Kind::Float: return fmt("%-20g", static_cast<double>(v.f));
        case Value::Kind::Double: return fmt("%-.20g", v.d);
        case Value::Kind::Decimal: return v.text;
        case Value::Kind::Year: return fmt("%04u", unsigned(v.u == 0 ? 1900 : v.u));
        case Value::Kind::Date:
            return fmt("'%04u:%02u:%02u'", unsigned(v.t.year), unsigned(v.t.month), unsigned(v.t.day));
        case Value::Kind::Time: return "'" + formatTime(v.t, v.width) + "'";
        case Value::Kind::DateTime: return "'" + formatDateTime(v.t, v.width) + "'";
        case Value::Kind::Timestamp:
            if (v.width == 0) return std::to_string(v.i);
            return std::to_string(v.i) + fmt(".%06u", v.t.micro).substr(0, 1 + v.width);
        case Value::Kind::String:
        case Value::Kind::Bytes:
        case Value::Kind::Geometry: return quoted(v.data());
        case Value::Kind::Vector: {  // as VECTOR_TO_STRING shows it, shorter
            const std::string_view bytes = v.data();
            std::string s = "[";
            for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
                uint32_t u = 0;
                for (size_t b = 0; b < 4; ++b)
                    u |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + b])) << (8 * b);
                s += (i ? "," : "") + fmt("%.7g", static_cast<double>(std::bit_cast<float>(u)));
            }
            return s + "]";
        }
        case Value::Kind::Enum: return std::to_string(v.u);
        case Value::Kind::Set: return bits(v.u, c.length * 8);
        case Value::Kind::Bit: return bits(v.u, v.width);
        case Value::Kind::Json: return quoted(v.text);
        case Value::Kind::JsonDiff: {
            std::string s = "JSON_DIFF(";
            for (size_t i = 0; i < v.diffs.size(); ++i) {
                const JsonDiff& d = v.diffs[i];
                static const char* ops[] = {"REPLACE", "INSERT", "REMOVE"};
                s += (i ? ", " : "") + std::string(ops[static_cast<int>(d.op)]) + " " + d.path;
                if (d.op != JsonDiff::Op::Remove) s += " " + d.value;
            }
            return s + ")";
        }
        case Value::Kind::Missing: return "";
    }
    return "";
}

void printImage(std::ostream& out, const TableMap& t, const std::vector<Value>& image) {
    for (size_t i = 0; i < image.size(); ++i) {
        const Value& v = image[i];
        if (!v.isPresent()) continue;
        const ColumnDef& c = t.columns[i];
        out << "###   @" << (i + 1) << "=" << valueText(v, c) << " /* " << typeString(c) << " meta=" << c.meta
            << " nullable=" << (c.nullable ? 1 : 0) << " is_null=" << (v.isNull() ? 1 : 0) << " */\n";
    }
}

const char* rowsName(const RowsEvent& r) {
    if (r.partial) return "Update_rows_partial";
    switch (r.kind) {
        case RowsKind::Write: return r.compressed ? "Write_rows_compressed" : "Write_rows";
        case RowsKind::Update: return r.compressed ? "Update_rows_compressed" : "Update_rows";
        case RowsKind::Delete: return r.compressed ? "Delete_rows_compressed" : "Delete_rows";
    }
    return "Rows";
}

const char* mysqlIgnorableName(uint8_t type) {
    switch (static_cast<EventType>(type)) {
        case EventType::Gtid: return "MySQL Gtid";
        case EventType::AnonymousGtid: return "MySQL Anonymous_Gtid";
        case EventType::PreviousGtids: return "MySQL Previous_gtids";
        case EventType::GtidTagged: return "MySQL Gtid_tagged";
        default: return "Unknown";
    }
}

}  // namespace

void DumpPrinter::printHeaderLine(const Event& ev, const std::string& description) {
    std::string line = "#" + timestampText(ev.header.timestamp) + " server id " + std::to_string(ev.header.serverId) +
        "  end_log_pos " + std::to_string(ev.header.logPos) + " ";
    if (ev.checksum) line += fmt("CRC32 0x%08x ", *ev.checksum);
    line += "\t" + description;
    if (ev.as<RowsEvent>()) {
        heldHeaders_.push_back(line);
        return;
    }
    out_ << line << "\n";
}

void DumpPrinter::print(const Event& ev) {
    const auto* rows = ev.as<RowsEvent>();
    if (!rows && !heldRows_.empty()) flushRows();
    out_ << "# at " << ev.position << "\n";
    if (ev.inPayload) out_ << "#~ inside TRANSACTION_PAYLOAD\n";
    const EventHeader& h = ev.header;
    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, FormatDescription>) {
                printHeaderLine(ev,
                                "Start: binlog v " + std::to_string(b.binlogVersion) + ", server v " + b.serverVersion +
                                    " created " + timestampText(h.timestamp) +
                                    (b.createTimestamp ? " at startup" : ""));
                if (h.flags & kFlagBinlogInUse)
                    out_ << "# Warning: this binlog is either in use or was not closed properly.\n";
            } else if constexpr (std::is_same_v<T, Query>) {
                printHeaderLine(ev,
                                fmt("Query\tthread_id=%u\texec_time=%u\terror_code=%u\txid=%" PRIu64, b.threadId,
                                    b.execTime, unsigned(b.errorCode), b.mariaXid.value_or(0)));
                out_ << "#~ " << b.statement.substr(0, 200) << "\n";
            } else if constexpr (std::is_same_v<T, TableMapEvent>) {
                printHeaderLine(ev,
                                "Table_map: `" + b.table->schema + "`.`" + b.table->table + "` mapped to number " +
                                    std::to_string(b.table->tableId));
            } else if constexpr (std::is_same_v<T, RowsEvent>) {
                printHeaderLine(ev,
                                std::string(rowsName(b)) + ": table id " + std::to_string(b.tableId) +
                                    (b.stmtEnd() ? " flags: STMT_END_F" : ""));
                heldRows_.push_back(ev);
                if (b.stmtEnd()) flushRows();
            } else if constexpr (std::is_same_v<T, Xid>) {
                printHeaderLine(ev, "Xid = " + std::to_string(b.xid));
            } else if constexpr (std::is_same_v<T, Rotate>) {
                printHeaderLine(ev, "Rotate to " + b.nextFile + "  pos: " + std::to_string(b.position));
            } else if constexpr (std::is_same_v<T, Stop>) {
                printHeaderLine(ev, "Stop");
            } else if constexpr (std::is_same_v<T, MysqlGtid>) {
                printHeaderLine(ev, "Ignorable");
                out_ << "# Ignorable event type " << unsigned(h.type) << " (" << mysqlIgnorableName(h.type) << ")\n";
                out_ << "#~ GTID " << b.text() << " last_committed=" << b.lastCommitted
                     << " sequence_number=" << b.sequenceNumber << "\n";
            } else if constexpr (std::is_same_v<T, PreviousGtids>) {
                printHeaderLine(ev, "Ignorable");
                out_ << "# Ignorable event type " << unsigned(h.type) << " (" << mysqlIgnorableName(h.type) << ")\n";
                out_ << "#~ Previous_gtids " << b.text() << "\n";
            } else if constexpr (std::is_same_v<T, MariaGtid>) {
                printHeaderLine(ev, "GTID " + b.text() + (b.standalone() ? "" : " trans"));
            } else if constexpr (std::is_same_v<T, MariaGtidList>) {
                std::string s = "Gtid list [";
                for (size_t i = 0; i < b.gtids.size(); ++i)
                    s += (i ? "," : "") +
                        fmt("%u-%u-%" PRIu64, b.gtids[i].domainId, b.gtids[i].serverId, b.gtids[i].seqNo);
                printHeaderLine(ev, s + "]");
            } else if constexpr (std::is_same_v<T, BinlogCheckpoint>) {
                printHeaderLine(ev, "Binlog checkpoint " + b.file);
            } else if constexpr (std::is_same_v<T, RowsQuery>) {
                printHeaderLine(
                    ev, h.type == static_cast<uint8_t>(EventType::AnnotateRows) ? "Annotate_rows:" : "Rows_query");
                out_ << "#Q> " << b.statement << "\n";
            } else if constexpr (std::is_same_v<T, TransactionPayload>) {
                printHeaderLine(ev, "Transaction_Payload");
                out_ << "#~ payload_size=" << b.payloadSize << " compression_type=" << b.compression
                     << " uncompressed_size=" << b.uncompressedSize << " events=" << b.innerEvents << "\n";
            } else if constexpr (std::is_same_v<T, Heartbeat>) {
                printHeaderLine(ev, "Heartbeat " + b.file + " " + std::to_string(b.position));
            } else if constexpr (std::is_same_v<T, XaPrepare>) {
                printHeaderLine(ev, "XA PREPARE");
            } else if constexpr (std::is_same_v<T, StatementContext>) {
                printHeaderLine(ev, eventTypeName(h.type));
            } else {
                printHeaderLine(ev, "Ignorable");
                out_ << "# Ignorable event type " << unsigned(h.type) << " (" << mysqlIgnorableName(h.type) << ")\n";
            }
        },
        ev.body);
}

void DumpPrinter::flushRows() {
    for (const std::string& line : heldHeaders_) out_ << line << "\n";
    heldHeaders_.clear();
    size_t total = 0;
    for (const Event& ev : heldRows_) {
        const RowsEvent& r = *ev.as<RowsEvent>();
        if (!r.table) continue;
        const TableMap& t = *r.table;
        std::string name = "`" + t.schema + "`.`" + t.table + "`";
        for (const Row& row : r.rows) {
            switch (r.kind) {
                case RowsKind::Write:
                    out_ << "### INSERT INTO " << name << "\n### SET\n";
                    printImage(out_, t, row.after);
                    break;
                case RowsKind::Update:
                    out_ << "### UPDATE " << name << "\n### WHERE\n";
                    printImage(out_, t, row.before);
                    out_ << "### SET\n";
                    printImage(out_, t, row.after);
                    break;
                case RowsKind::Delete:
                    out_ << "### DELETE FROM " << name << "\n### WHERE\n";
                    printImage(out_, t, row.before);
                    break;
            }
            ++total;
        }
    }
    if (!heldRows_.empty()) out_ << "# Number of rows: " << total << "\n";
    heldRows_.clear();
}

void DumpPrinter::finish() {
    if (!heldRows_.empty()) flushRows();
}

}  // namespace tidemark::binlog
