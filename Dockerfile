# news-processor on Debian 12, in two stages:
#   build    a Debian 12 with make runs `make deb`, the same steps as on a workstation
#            (scripts/setup.sh deb installs the build dependencies, CMake builds for /usr,
#            CPack makes build-deb/news-processor_VERSION_ARCH.deb);
#   runtime  a slim Debian 12 where apt-get installs that .deb, which pulls in libcjson1 and
#            nothing else (libc6 is already there).
#   docker build -t news-processor:0.1.0 .
#   docker run --rm -i news-processor:0.1.0 -q --latency 0:0 - < data/articles.json
FROM debian:12-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make deb

FROM debian:12-slim
COPY --from=build /src/build-deb/news-processor_*.deb /tmp/
RUN apt-get update \
    && apt-get install -y --no-install-recommends /tmp/news-processor_*.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/news-processor_*.deb \
    && news-processor --version
ENTRYPOINT ["news-processor"]
CMD ["--help"]
