#include "runner/binlog/compression.h"

#include <algorithm>
#include <zlib.h>
#include <zstd.h>

#include <memory>

#include "runner/binlog/errors.h"

namespace tidemark::binlog {

namespace {
// zlib cannot expand data by more than ~1032:1; a larger claimed length is corruption, and
// must not turn into a multi-gigabyte allocation.
void checkZlibRatio(size_t compressed, size_t claimed) {
    if (claimed > compressed * 1032 + 64)
        throw DecodeError("compressed header claims " + std::to_string(claimed) + " bytes from " +
                          std::to_string(compressed) + ": corrupt");
}
}  // namespace

std::string inflateMariaEvent(std::string_view in) {
    if (in.empty()) throw DecodeError("empty compressed payload");
    uint8_t hdr = static_cast<uint8_t>(in[0]);
    size_t lenBytes = hdr & 0x07;
    if ((hdr & 0x70) != 0) throw DecodeError("unsupported compression algorithm " + std::to_string((hdr >> 4) & 7));
    if (lenBytes < 1 || lenBytes > 4 || in.size() < 1 + lenBytes) throw DecodeError("bad compressed header");
    uLongf original = 0;
    for (size_t i = 0; i < lenBytes; ++i) original = (original << 8) | static_cast<uint8_t>(in[1 + i]);
    checkZlibRatio(in.size() - 1 - lenBytes, original);
    std::string out(original, '\0');
    uLongf outLen = original;
    int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &outLen,
                        reinterpret_cast<const Bytef*>(in.data() + 1 + lenBytes),
                        static_cast<uLong>(in.size() - 1 - lenBytes));
    if (rc != Z_OK || outLen != original) throw DecodeError("corrupt zlib data (code " + std::to_string(rc) + ")");
    return out;
}

std::string zstdDecompress(std::string_view in, uint64_t expected) {
    std::string out;
    // The header's size is only a hint: never trust it for more than a modest reservation.
    out.reserve(static_cast<size_t>(std::min<uint64_t>(expected, uint64_t{64} << 20)));
    std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(), &ZSTD_freeDStream);
    if (!ds) throw DecodeError("zstd: out of memory");
    ZSTD_initDStream(ds.get());
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    std::string chunk(ZSTD_DStreamOutSize(), '\0');
    // Until the input is consumed and zstd holds nothing back (rc == 0 ends a frame).
    for (size_t rc = 1; input.pos < input.size || rc != 0;) {
        const bool inputLeft = input.pos < input.size;
        ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
        rc = ZSTD_decompressStream(ds.get(), &output, &input);
        if (ZSTD_isError(rc)) throw DecodeError(std::string("zstd: ") + ZSTD_getErrorName(rc));
        out.append(chunk.data(), output.pos);
        if (rc == 0 && input.pos < input.size) ZSTD_initDStream(ds.get());  // concatenated frames
        if (!inputLeft && output.pos == 0 && rc != 0) throw DecodeError("zstd: truncated frame");
    }
    return out;
}

std::string inflateMariaColumn(std::string_view stored) {
    if (stored.empty()) return {};
    uint8_t hdr = static_cast<uint8_t>(stored[0]);
    if ((hdr & 0x80) == 0) return std::string(stored.substr(1));
    size_t lenBytes = hdr & 0x07;
    bool rawDeflate = (hdr & 0x08) != 0;
    if (stored.size() < 1 + lenBytes) throw DecodeError("truncated compressed column");
    size_t original = 0;
    for (size_t i = 0; i < lenBytes; ++i) original = (original << 8) | static_cast<uint8_t>(stored[1 + i]);
    checkZlibRatio(stored.size() - 1 - lenBytes, original);
    std::string out(original, '\0');
    z_stream zs{};
    if (inflateInit2(&zs, rawDeflate ? -MAX_WBITS : MAX_WBITS) != Z_OK) throw DecodeError("zlib init failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stored.data() + 1 + lenBytes));
    zs.avail_in = static_cast<uInt>(stored.size() - 1 - lenBytes);
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || zs.total_out != original) throw DecodeError("corrupt compressed column value");
    return out;
}

}  // namespace tidemark::binlog
