# The Junction host on Debian 12: built with the project's own set-up script, then
# copied onto a slim runtime image with only the shared libraries it needs.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN JUNCTION_SKIP_NPM=1 ./scripts/setup.sh \
 && cmake --preset release -DJUNCTION_BUILD_TESTS=OFF -DJUNCTION_BUILD_BENCH=OFF \
 && cmake --build --preset release \
 && cmake --install build/release --prefix /opt/junction

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-log1.81.0 libboost-program-options1.81.0 libboost-thread1.81.0 \
      libmongoc-1.0-0 libbson-1.0-0 libsqlite3-0 libjemalloc2 ca-certificates \
      libboost-url1.81.0 libcurl4 libssl3 libnats3.4 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/junction /opt/junction
COPY examples /etc/junction/examples
ENV PATH=/opt/junction/bin:$PATH
WORKDIR /data
ENTRYPOINT ["junction"]
CMD ["run", "/etc/junction/examples/workorders/sync-mongodb.json"]
