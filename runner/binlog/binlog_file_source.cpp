#include "runner/binlog/binlog_file_source.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "runner/binlog/errors.h"

namespace tidemark::binlog {

namespace {
constexpr char kMagic[4] = {'\xfe', 'b', 'i', 'n'};

std::string baseName(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}
}  // namespace

BinlogFileSource::BinlogFileSource(const std::string& path, DecoderOptions options)
    : path_(path), in_(std::make_unique<std::ifstream>(path, std::ios::binary)), decoder_(options) {
    decoder_.setFile(baseName(path));
    if (!*in_) throw BinlogError("cannot open binlog file " + path, baseName(path), 0, 0);
    checkMagic();
}

BinlogFileSource::BinlogFileSource(std::unique_ptr<std::istream> in, std::string name, DecoderOptions options)
    : path_(name), in_(std::move(in)), decoder_(options) {
    decoder_.setFile(std::move(name));
    checkMagic();
}

void BinlogFileSource::checkMagic() {
    char magic[4];
    if (!in_->read(magic, 4) || std::memcmp(magic, kMagic, 4) != 0)
        throw BinlogError(path_ + " is not a binlog file (missing \\xfebin magic)", decoder_.file(), 0, 0);
    offset_ = 4;
}

bool BinlogFileSource::readRaw(std::string& raw) {
    raw.resize(kHeaderSize);
    in_->read(raw.data(), kHeaderSize);
    std::streamsize got = in_->gcount();
    if (got == 0) return false;
    const std::string file = decoder_.file();
    if (got < static_cast<std::streamsize>(kHeaderSize))
        throw BinlogError("binlog " + path_ + " ends inside an event header at " + std::to_string(offset_), file,
                          offset_, 0);
    EventHeader h = parseEventHeader({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()});
    if (h.eventSize < kHeaderSize)
        throw BinlogError("binlog event " + eventTypeName(h.type) + " at " + file + ":" + std::to_string(offset_) +
                              ": size " + std::to_string(h.eventSize) + " is smaller than its header",
                          file, offset_, h.type);
    // Read in bounded chunks: a corrupt size must hit the end of the file, not allocate 4 GiB.
    constexpr size_t kChunk = 64u << 20;
    size_t have = kHeaderSize;
    while (have < h.eventSize) {
        size_t want = std::min<size_t>(kChunk, h.eventSize - have);
        raw.resize(have + want);
        in_->read(raw.data() + have, static_cast<std::streamsize>(want));
        have += static_cast<size_t>(in_->gcount());
        if (static_cast<size_t>(in_->gcount()) != want) break;
    }
    if (have != h.eventSize)
        throw BinlogError("binlog event " + eventTypeName(h.type) + " at " + file + ":" + std::to_string(offset_) +
                              ": file ends " + std::to_string(h.eventSize - have) + " bytes before the event does",
                          file, offset_, h.type);
    return true;
}

bool BinlogFileSource::next(Event& out) {
    while (pendingIndex_ >= pending_.size()) {
        pending_.clear();
        pendingIndex_ = 0;
        std::string raw;
        if (!readRaw(raw)) return false;
        uint64_t at = offset_;
        offset_ += raw.size();
        decoder_.decode(std::move(raw), pending_, at);
        // On the wire the server decrypts for us; in a file everything after this is ciphertext.
        if (const auto* skipped = pending_.front().as<Skipped>();
            skipped && skipped->type == static_cast<uint8_t>(EventType::StartEncryption))
            throw BinlogError("binlog event START_ENCRYPTION at " + decoder_.file() + ":" + std::to_string(at) +
                                  ": the file is encrypted (MariaDB encrypt_binlog); read it through the server",
                              decoder_.file(), at, skipped->type);
    }
    out = std::move(pending_[pendingIndex_++]);
    return true;
}

}  // namespace tidemark::binlog
