#include "runner/binlog/event_decoder.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <unordered_map>
#include <zlib.h>

#include "runner/binlog/byte_reader.h"
#include "runner/binlog/compression.h"
#include "runner/binlog/errors.h"
#include "runner/binlog/gtid_events.h"
#include "runner/binlog/query_event.h"
#include "runner/binlog/row_decoder.h"

namespace tidemark::binlog {

namespace {

constexpr size_t kChecksumSize = 4;
constexpr size_t kFlagsOffset = 17;  // of the common header's flags (little-endian u16)
// Table ids of the "end of statement" rows events some servers write without rows or TABLE_MAP.
constexpr uint64_t kDummyTableId = 0x00FFFFFF;
constexpr uint64_t kDummyTableId48 = 0xFFFFFFFFFFFF;

// Does this server write the checksum-algorithm byte (and 4 checksum bytes) in its FDE?
// MySQL since 5.6.1, MariaDB since 5.3.
bool fdeHasChecksumAlg(std::string_view serverVersion) {
    unsigned major = 0, minor = 0, patch = 0;
    std::string v(serverVersion);
    if (std::sscanf(v.c_str(), "%u.%u.%u", &major, &minor, &patch) < 2) return false;
    unsigned n = major * 10000 + minor * 100 + patch;
    bool maria = serverVersion.find("MariaDB") != std::string_view::npos;
    return maria ? n >= 50300 : n >= 50601;
}

uint8_t defaultPostHeaderLength(EventType t) {
    switch (t) {
        case EventType::Query:
        case EventType::QueryCompressed: return 13;
        case EventType::Rotate: return 8;
        case EventType::TableMap: return 8;
        case EventType::WriteRowsV1:
        case EventType::UpdateRowsV1:
        case EventType::DeleteRowsV1:
        case EventType::WriteRowsCompressedV1:
        case EventType::UpdateRowsCompressedV1:
        case EventType::DeleteRowsCompressedV1: return 8;
        case EventType::WriteRowsV2:
        case EventType::UpdateRowsV2:
        case EventType::DeleteRowsV2:
        case EventType::PartialUpdateRows:
        case EventType::WriteRowsCompressedV2:
        case EventType::UpdateRowsCompressedV2:
        case EventType::DeleteRowsCompressedV2: return 10;
        case EventType::Gtid:
        case EventType::AnonymousGtid: return 42;
        case EventType::MariaGtid: return 19;
        case EventType::MariaGtidList: return 4;
        case EventType::BinlogCheckpoint: return 4;
        default: return 0;
    }
}

std::span<const uint8_t> asBytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

}  // namespace

struct EventDecoder::State {
    DecoderOptions options;
    std::optional<FormatDescription> fde;
    std::string file;
    std::unordered_map<uint64_t, std::shared_ptr<const TableMap>> tables;
    uint64_t nextPosition = 4;

    uint8_t postHeaderLength(uint8_t type) const {
        if (fde && type >= 1 && type <= fde->postHeaderLengths.size()) return fde->postHeaderLengths[type - 1];
        return defaultPostHeaderLength(static_cast<EventType>(type));
    }

    [[noreturn]] void fail(const EventHeader& h, uint64_t position, const std::string& what) const {
        std::string where = (file.empty() ? std::string("<unknown file>") : file) + ":" + std::to_string(position);
        throw BinlogError("binlog event " + eventTypeName(h.type) + " at " + where + ": " + what, file, position,
                          h.type);
    }

    // One event; `storage` owns `raw`. Inner events of a payload pass inPayload.
    void decodeOne(const std::shared_ptr<const std::string>& storage, std::string_view raw, std::vector<Event>& out,
                   uint64_t position, bool inPayload, uint64_t payloadEnd) {
        if (raw.size() < kHeaderSize) {
            EventHeader h;
            fail(h, position == EventDecoder::kUnknownPosition ? nextPosition : position,
                 "event of " + std::to_string(raw.size()) + " bytes is shorter than the 19-byte header");
        }
        Event ev;
        ev.header = parseEventHeader(asBytes(raw));
        const EventHeader& h = ev.header;
        // Events that are not part of the file: the fake ROTATE on connect and heartbeats.
        const bool artificial = (h.flags & kFlagArtificial) != 0 ||
            (h.type == static_cast<uint8_t>(EventType::Rotate) && h.timestamp == 0) ||
            h.type == static_cast<uint8_t>(EventType::Heartbeat) ||
            h.type == static_cast<uint8_t>(EventType::HeartbeatV2);
        // A dump that starts past position 4 begins with the file's FDE re-sent with log_pos 0.
        const bool resentFde = h.type == static_cast<uint8_t>(EventType::FormatDescription) && h.logPos == 0 &&
            position == EventDecoder::kUnknownPosition;
        if (inPayload) {
            ev.position = position;
            ev.nextPosition = payloadEnd;
            ev.inPayload = true;
        } else if (resentFde) {
            ev.position = 0;
            ev.nextPosition = nextPosition;
        } else {
            if (position == EventDecoder::kUnknownPosition) {
                if (artificial) position = 0;
                else if (h.logPos >= h.eventSize && h.logPos != 0) position = h.logPos - h.eventSize;
                else position = nextPosition;  // MariaDB 11.4 writes log_pos 0 inside transactions
            }
            ev.position = position;
            ev.nextPosition = position == 0 && artificial ? nextPosition : position + h.eventSize;
        }
        if (h.eventSize != raw.size())
            fail(h, ev.position,
                 "header says " + std::to_string(h.eventSize) + " bytes, got " + std::to_string(raw.size()));

        try {
            decodeBody(storage, raw, ev, out, inPayload, artificial);
        } catch (const DecodeError& e) {
            fail(h, ev.position, e.what());
        }
    }

    void decodeBody(const std::shared_ptr<const std::string>& storage, std::string_view raw, Event& ev,
                    std::vector<Event>& out, bool inPayload, bool artificial) {
        const EventHeader& h = ev.header;
        const auto type = static_cast<EventType>(h.type);
        std::string_view body = raw.substr(kHeaderSize);

        if (type == EventType::FormatDescription) {
            decodeFde(raw, ev);
            out.push_back(std::move(ev));
            return;
        }
        ChecksumAlg alg = inPayload ? ChecksumAlg::Off : fde ? fde->checksum : options.checksumBeforeFde;
        if (alg == ChecksumAlg::Crc32) {
            if (body.size() < kChecksumSize) throw DecodeError("event too short for its CRC32");
            verify(raw, ev);
            body.remove_suffix(kChecksumSize);
        }
        if (!inPayload && !artificial) nextPosition = ev.nextPosition;
        ev.storage = storage;
        ByteReader r(asBytes(body));
        const uint8_t phl = postHeaderLength(h.type);

        switch (type) {
            case EventType::Rotate: {
                Rotate rot;
                rot.position = phl >= 8 ? r.u64() : 4;
                rot.nextFile = r.rest();
                rot.fake = artificial;
                file = rot.nextFile;
                nextPosition = rot.position;
                ev.body = std::move(rot);
                break;
            }
            case EventType::Query:
            case EventType::QueryCompressed:
                ev.body = parseQuery(r, phl, type == EventType::QueryCompressed);
                rejectStatementDml(*std::get_if<Query>(&ev.body), h, ev.position);
                break;
            case EventType::Xid: ev.body = Xid{r.u64()}; break;
            case EventType::TableMap: {
                auto tm = parseTableMap(asBytes(r.rest()), phl, options.hints, fde && fde->isMariaDB());
                tables[tm->tableId] = tm;
                ev.body = TableMapEvent{std::move(tm)};
                break;
            }
            case EventType::WriteRowsV1:
            case EventType::UpdateRowsV1:
            case EventType::DeleteRowsV1:
            case EventType::WriteRowsV2:
            case EventType::UpdateRowsV2:
            case EventType::DeleteRowsV2:
            case EventType::PartialUpdateRows:
            case EventType::WriteRowsCompressedV1:
            case EventType::UpdateRowsCompressedV1:
            case EventType::DeleteRowsCompressedV1:
            case EventType::WriteRowsCompressedV2:
            case EventType::UpdateRowsCompressedV2:
            case EventType::DeleteRowsCompressedV2: {
                ev.body = decodeRows(r, type, phl, ev);
                // The server re-sends every TABLE_MAP before each statement's rows, and table ids
                // grow after each DDL or flush: forget them when the statement ends, as a replica
                // does, so a long stream does not accumulate dead ids.
                if (std::get<RowsEvent>(ev.body).stmtEnd()) tables.clear();
                break;
            }
            case EventType::Gtid:
            case EventType::AnonymousGtid: ev.body = parseMysqlGtid(r, type == EventType::AnonymousGtid); break;
            case EventType::GtidTagged: ev.body = parseMysqlGtidTagged(r); break;
            case EventType::PreviousGtids: ev.body = parsePreviousGtids(r); break;
            case EventType::MariaGtid: ev.body = parseMariaGtid(r, h.serverId); break;
            case EventType::MariaGtidList: ev.body = parseMariaGtidList(r); break;
            case EventType::BinlogCheckpoint: ev.body = BinlogCheckpoint{std::string(r.bytes(r.u32()))}; break;
            case EventType::AnnotateRows: ev.body = RowsQuery{std::string(r.rest())}; break;
            case EventType::RowsQuery:
                r.skip(1);  // a length byte that overflows for statements > 255 bytes: ignored by MySQL too
                ev.body = RowsQuery{std::string(r.rest())};
                break;
            case EventType::TransactionPayload: decodePayload(r, ev, out); return;
            case EventType::Heartbeat: ev.body = Heartbeat{std::string(r.rest()), h.logPos}; break;
            case EventType::HeartbeatV2: ev.body = decodeHeartbeatV2(r); break;
            case EventType::Stop: ev.body = Stop{}; break;
            case EventType::XaPrepare: {
                XaPrepare xa;
                xa.onePhase = r.u8() != 0;
                xa.formatId = r.u32();
                uint32_t gl = r.u32(), bl = r.u32();
                xa.gtrid = r.bytes(gl);
                xa.bqual = r.bytes(bl);
                ev.body = std::move(xa);
                break;
            }
            case EventType::Intvar:
            case EventType::Rand:
            case EventType::UserVar: ev.body = StatementContext{type}; break;
            case EventType::Ignorable:
            case EventType::TransactionContext:
            case EventType::ViewChange:
            case EventType::StartEncryption: ev.body = Skipped{h.type}; break;
            case EventType::Incident:
                throw DecodeError("the source logged an INCIDENT (lost events); replication from here is unsafe");
            case EventType::StartV3: throw DecodeError("binlog format v1/v3 (MySQL < 5.0) is not supported");
            case EventType::Load:
            case EventType::CreateFile:
            case EventType::AppendBlock:
            case EventType::ExecLoad:
            case EventType::DeleteFile:
            case EventType::NewLoad:
            case EventType::BeginLoadQuery:
            case EventType::ExecuteLoadQuery:
                throw DecodeError("statement-based LOAD DATA cannot be replayed; set binlog_format=ROW on the source");
            case EventType::PreGaWriteRows:
            case EventType::PreGaUpdateRows:
            case EventType::PreGaDeleteRows: throw DecodeError("pre-GA rows events (MySQL 5.1 beta) are not supported");
            default:
                if (h.flags & kFlagIgnorable) {
                    ev.body = Skipped{h.type};
                    break;
                }
                throw DecodeError("unknown event type " + std::to_string(h.type) +
                                  " without the ignorable flag; cannot skip it safely");
        }
        out.push_back(std::move(ev));
    }

    void verify(std::string_view raw, Event& ev) {
        const size_t n = raw.size() - kChecksumSize;
        const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
        uint32_t stored = static_cast<uint32_t>(p[n]) | (static_cast<uint32_t>(p[n + 1]) << 8) |
            (static_cast<uint32_t>(p[n + 2]) << 16) | (static_cast<uint32_t>(p[n + 3]) << 24);
        ev.checksum = stored;
        if (!options.verifyChecksum) return;
        uint32_t actual = static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(n)));
        if (actual != stored && ev.header.eventType() == EventType::FormatDescription &&
            (ev.header.flags & kFlagBinlogInUse)) {
            // A file still open (copied from a running server, or left by a crash): the server
            // computed the FDE's CRC with the in-use flag clear, as the file will read once
            // closed, and set the flag in the file only.
            std::string cleared(raw.substr(0, n));
            cleared[kFlagsOffset] = static_cast<char>(cleared[kFlagsOffset] & ~kFlagBinlogInUse);
            const auto* c = reinterpret_cast<const Bytef*>(cleared.data());
            actual = static_cast<uint32_t>(crc32(0L, c, static_cast<uInt>(n)));
        }
        if (actual != stored) {
            char buf[80];
            std::snprintf(buf, sizeof buf, "CRC32 mismatch: stored 0x%08x, computed 0x%08x", stored, actual);
            throw DecodeError(buf);
        }
    }

    void decodeFde(std::string_view raw, Event& ev) {
        ByteReader r(asBytes(raw.substr(kHeaderSize)));
        FormatDescription f;
        f.binlogVersion = r.u16();
        std::string_view version = r.bytes(50);
        f.serverVersion = version.substr(0, version.find('\0'));
        f.createTimestamp = r.u32();
        f.headerLength = r.u8();
        if (f.binlogVersion != 4 || f.headerLength != kHeaderSize)
            throw DecodeError("unsupported binlog version " + std::to_string(f.binlogVersion));
        size_t rest = r.remaining();
        if (fdeHasChecksumAlg(f.serverVersion)) {
            if (rest < 1 + kChecksumSize) throw DecodeError("FORMAT_DESCRIPTION too short for its checksum fields");
            // The FDE's own algorithm byte decides whether it (and every later event) has a CRC.
            uint8_t alg = static_cast<uint8_t>(raw[raw.size() - kChecksumSize - 1]);
            f.checksum = alg == 1 ? ChecksumAlg::Crc32 : alg == 0 ? ChecksumAlg::Off : ChecksumAlg::Undefined;
            if (f.checksum == ChecksumAlg::Undefined)
                throw DecodeError("unknown checksum algorithm " + std::to_string(alg));
            if (f.checksum == ChecksumAlg::Crc32) verify(raw, ev);
            rest -= 1 + kChecksumSize;
        }
        std::string_view lens = r.bytes(rest);
        f.postHeaderLengths.assign(lens.begin(), lens.end());
        fde = f;
        // On a dump from position > 4 the server resends the file's FDE with log_pos 0; it does
        // not move the stream position.
        if (ev.header.logPos != 0 && !ev.inPayload) nextPosition = ev.nextPosition;
        ev.body = std::move(f);
    }

    void rejectStatementDml(Query& q, const EventHeader& h, uint64_t position) const {
        if (q.kind != QueryKind::Other) return;
        const char* kw = statementDmlKeyword(q.statement);
        if (!kw) return;
        if (!options.rejectStatementDml) {
            q.kind = QueryKind::StatementDml;
            return;
        }
        fail(h, position,
             std::string("statement-based ") + kw +
                 " in the binlog (binlog_format is not ROW for this change; set binlog_format=ROW on the "
                 "source): " +
                 q.statement.substr(0, 120));
    }

    RowsEvent decodeRows(ByteReader& r, EventType type, uint8_t phl, Event& ev) {
        RowsEvent rows;
        switch (type) {
            case EventType::WriteRowsV1:
            case EventType::WriteRowsV2:
            case EventType::WriteRowsCompressedV1:
            case EventType::WriteRowsCompressedV2: rows.kind = RowsKind::Write; break;
            case EventType::DeleteRowsV1:
            case EventType::DeleteRowsV2:
            case EventType::DeleteRowsCompressedV1:
            case EventType::DeleteRowsCompressedV2: rows.kind = RowsKind::Delete; break;
            default: rows.kind = RowsKind::Update;
        }
        rows.partial = type == EventType::PartialUpdateRows;
        rows.compressed = static_cast<uint8_t>(type) >= static_cast<uint8_t>(EventType::WriteRowsCompressedV1);
        rows.version = phl >= 10 ? 2 : 1;
        rows.tableId = phl == 6 ? r.u32() : r.u48();
        rows.flags = r.u16();
        if (phl >= 10) {
            uint16_t extraLen = r.u16();
            if (extraLen < 2) throw DecodeError("rows event extra data length < 2");
            ByteReader extra(r.span(extraLen - 2u));
            // Only the partition id matters to us; NDB info and unknown extras are skipped.
            if (!extra.empty() && extra.u8() == 1) rows.partitionId = extra.u16();
        }
        uint64_t columns = r.packed();
        auto it = tables.find(rows.tableId);
        if (it == tables.end() && (rows.tableId == kDummyTableId || rows.tableId == kDummyTableId48)) return rows;
        if (it == tables.end())
            throw DecodeError("rows for table id " + std::to_string(rows.tableId) + " without a preceding TABLE_MAP");
        rows.table = it->second;
        const TableMap& table = *rows.table;
        if (columns != table.columns.size())
            throw DecodeError("rows event has " + std::to_string(columns) + " columns, TABLE_MAP of `" + table.schema +
                              "`.`" + table.table + "` has " + std::to_string(table.columns.size()));
        const size_t bitmapBytes = (table.columns.size() + 7) / 8;
        ColumnBitmap first{r.bytes(bitmapBytes), table.columns.size()};
        ColumnBitmap second = first;
        if (rows.kind == RowsKind::Update) second = ColumnBitmap{r.bytes(bitmapBytes), table.columns.size()};
        if (rows.compressed) {
            // Row values alias the inflated buffer, which this event keeps alive instead of
            // the raw bytes (everything else in the body was copied out already).
            auto inflated = std::make_shared<const std::string>(inflateMariaEvent(r.rest()));
            ev.storage = inflated;
            decodeRowImages(ByteReader(asBytes(*inflated)), table, rows, first, second);
        } else {
            decodeRowImages(ByteReader(asBytes(r.rest())), table, rows, first, second);
        }
        return rows;
    }

    static Heartbeat decodeHeartbeatV2(ByteReader& r) {
        Heartbeat hb;
        while (!r.empty()) {
            uint64_t field = r.packed();
            if (field == 0) break;
            ByteReader v(r.span(ByteReader::checkedSize(r.packed())));
            if (field == 1) hb.file = v.rest();
            else if (field == 2) hb.position = v.packed();
        }
        return hb;
    }

    // The FDE announces a post-header length for this event (40 in 8.0), but the TLV fields
    // start right after the common header: MySQL's own decoder ignores that length too.
    void decodePayload(ByteReader& r, Event& ev, std::vector<Event>& out) {
        TransactionPayload p;
        // Every header element is (packed type, packed length, value) and values are packed ints.
        while (!r.empty()) {
            uint64_t field = r.packed();
            if (field == 0) break;
            ByteReader v(r.span(ByteReader::checkedSize(r.packed())));
            uint64_t value = v.packed();
            if (field == 1) p.payloadSize = value;
            else if (field == 2) p.compression = value;
            else if (field == 3) p.uncompressedSize = value;
        }
        std::string_view payload = r.rest();
        if (p.payloadSize != 0 && payload.size() != p.payloadSize)
            throw DecodeError("payload is " + std::to_string(payload.size()) + " bytes, header says " +
                              std::to_string(p.payloadSize));
        std::shared_ptr<const std::string> inner;
        if (p.compression == 0)
            inner = std::make_shared<const std::string>(zstdDecompress(payload, p.uncompressedSize));
        else if (p.compression == 255) inner = std::make_shared<const std::string>(payload);
        else throw DecodeError("unknown payload compression type " + std::to_string(p.compression));

        const uint64_t outerPosition = ev.position, outerEnd = ev.nextPosition;
        std::vector<Event> innerEvents;
        std::string_view rest(*inner);
        while (!rest.empty()) {
            if (rest.size() < kHeaderSize) throw DecodeError("truncated event inside TRANSACTION_PAYLOAD");
            EventHeader ih = parseEventHeader(asBytes(rest));
            if (ih.eventSize < kHeaderSize || ih.eventSize > rest.size())
                throw DecodeError("inner event size " + std::to_string(ih.eventSize) + " exceeds the payload");
            decodeOne(inner, rest.substr(0, ih.eventSize), innerEvents, outerPosition, true, outerEnd);
            rest.remove_prefix(ih.eventSize);
        }
        p.innerEvents = innerEvents.size();
        ev.body = p;
        out.push_back(std::move(ev));
        for (auto& e : innerEvents) out.push_back(std::move(e));
    }
};

EventDecoder::EventDecoder(DecoderOptions options) : s_(std::make_unique<State>()) { s_->options = options; }
EventDecoder::~EventDecoder() = default;
EventDecoder::EventDecoder(EventDecoder&&) noexcept = default;
EventDecoder& EventDecoder::operator=(EventDecoder&&) noexcept = default;

void EventDecoder::decode(std::string_view raw, std::vector<Event>& out, uint64_t position) {
    decode(std::string(raw), out, position);
}

void EventDecoder::decode(std::string&& raw, std::vector<Event>& out, uint64_t position) {
    auto storage = std::make_shared<const std::string>(std::move(raw));
    s_->decodeOne(storage, *storage, out, position, false, 0);
}

void EventDecoder::setFile(std::string file) { s_->file = std::move(file); }
const std::string& EventDecoder::file() const { return s_->file; }
const FormatDescription* EventDecoder::formatDescription() const { return s_->fde ? &*s_->fde : nullptr; }
ChecksumAlg EventDecoder::checksum() const { return s_->fde ? s_->fde->checksum : s_->options.checksumBeforeFde; }

}  // namespace tidemark::binlog
