# mediabatch in a container, for docs/scaling.md's Kubernetes Indexed Job.
#
#   docker build -t registry.example.com/mediabatch:latest .
#   docker run --rm -e OPENROUTER_API_KEY -v "$PWD/jobs:/manifests:ro" -v "$PWD/output:/data/output" \
#       registry.example.com/mediabatch:latest mediabatch run /manifests --output-root /data/output
#
# Two stages: a Swift toolchain image builds a release binary with the Swift runtime linked
# in (--static-swift-stdlib); a slim Debian image with only the shared libraries the binary
# loads runs it, as a non-root user. Tests/MediaBatchTests/ContainerRecipeTests.swift checks
# that the run stage installs the package of every library `ldd` lists for the binary.

FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4-openssl-dev libjansson-dev libssl-dev zlib1g-dev pkg-config libvips-dev libmpg123-dev libebur128-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY Sources Sources
COPY Tests Tests
RUN swift build -c release --product mediabatch --static-swift-stdlib \
 && install -D -m 755 "$(swift build -c release --show-bin-path)/mediabatch" /out/mediabatch

FROM debian:bookworm-slim AS run
# The shared libraries the binary loads: libcurl (with its TLS and HTTP/2 stack), jansson,
# OpenSSL's libcrypto, libvips (opened when first needed: thumbnails, downscaling), libmpg123 and libebur128 (narration
# loudness), zlib, the C++ runtime; CA certificates
# for HTTPS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4 libjansson4 libssl3 libvips42 libmpg123-0 libebur128-1 zlib1g libstdc++6 libgcc-s1 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/mediabatch mediabatch
COPY --from=build /out/mediabatch /usr/local/bin/mediabatch
USER mediabatch
WORKDIR /home/mediabatch
CMD ["mediabatch", "--help"]
