# One image with both binaries: tidemark-operator (the controller) and tidemark-runner (what the
# runner pods run). Build: docker build -t ghcr.io/tidemark/tidemark:0.1.0 .
#
# Stage 1 builds with the packages hack/install-deps.sh installs for building (no test servers).
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build ccache pkg-config git \
      libcpprest-dev libyaml-cpp-dev nlohmann-json3-dev libmariadb-dev libssl-dev \
      libspdlog-dev libfmt-dev doctest-dev libzstd-dev zlib1g-dev libjemalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && ninja -C /build tidemark-operator tidemark-runner \
 && install -D -m 0755 -s /build/operator/tidemark-operator /out/usr/local/bin/tidemark-operator \
 && install -D -m 0755 -s /build/runner/cli/tidemark-runner /out/usr/local/bin/tidemark-runner

# Stage 2: only the shared libraries the binaries load (the runtime packages of the -dev ones above).
FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libcpprest2.10 libyaml-cpp0.7 libmariadb3 libssl3 libspdlog1.10 libfmt9 libzstd1 zlib1g libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
# Fails the build if a shared library is missing.
RUN tidemark-operator --help >/dev/null && tidemark-runner --help >/dev/null
LABEL org.opencontainers.image.title="tidemark" \
      org.opencontainers.image.description="MySQL to TiDB migration operator and runner" \
      org.opencontainers.image.source="https://github.com/tidemark/tidemark" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 65532:65532
ENTRYPOINT ["tidemark-operator"]
