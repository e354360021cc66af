# Multi-stage build: compile with the Swift toolchain image, run on a slim image.
#   docker build -t tycostream .
#   docker run -p 4000:4000 -v $PWD/schema.yaml:/app/schema.yaml -e DATABASE_URL=postgres://… tycostream
FROM swift:6.3-bookworm AS build
WORKDIR /src
# Resolve dependencies first so source edits do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product tycostream --static-swift-stdlib \
    && mkdir -p /out \
    && cp "$(swift build -c release --show-bin-path)/tycostream" /out/

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libcurl4 libxml2 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app tycostream
COPY --from=build /out/tycostream /usr/local/bin/tycostream
USER tycostream
WORKDIR /app
ENV GRAPHQL_HOST=0.0.0.0 GRAPHQL_PORT=4000 SCHEMA_PATH=/app/schema.yaml
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/4000 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["tycostream"]
CMD ["serve"]
