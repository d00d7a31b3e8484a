// tidemark-binlog-dump FILE...: prints a binlog file's events as `mariadb-binlog -vv` would
// (see dump_format.h). Exit status 1 and the decoder's message on the first bad event.
#include <iostream>

#include "runner/binlog/binlog_file_source.h"
#include "runner/binlog/dump_format.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: tidemark-binlog-dump [--no-verify-checksum] FILE...\n";
        return 2;
    }
    tidemark::binlog::DecoderOptions options;
    int first = 1;
    if (std::string(argv[1]) == "--no-verify-checksum") {
        options.verifyChecksum = false;
        ++first;
    }
    std::ios::sync_with_stdio(false);
    tidemark::binlog::DumpPrinter printer(std::cout);
    try {
        for (int i = first; i < argc; ++i) {
            tidemark::binlog::BinlogFileSource source(argv[i], options);
            tidemark::binlog::Event ev;
            while (source.next(ev)) printer.print(ev);
            printer.finish();
        }
    } catch (const std::exception& e) {
        printer.finish();
        std::cout.flush();
        std::cerr << "tidemark-binlog-dump: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
