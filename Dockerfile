# Multi-stage build of the confq binary: a Rust build stage, then a small non-root runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin confq && strip target/release/confq

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/confq --create-home confq \
 && install -d -o confq -g confq /var/lib/confq/uploads
COPY --from=build /src/target/release/confq /usr/local/bin/confq
# The uploads volume mounts here: Docker copies this directory's owner into a new named volume.
USER confq
WORKDIR /var/lib/confq
ENV CONFQ_DATA_DIR=/var/lib/confq \
    CONFQ_LOG_FORMAT=json \
    CONFQ_BIND=0.0.0.0:8000
EXPOSE 8000
ENTRYPOINT ["confq"]
CMD ["api"]
