# syntax=docker/dockerfile:1
# temporalcloud-connector: build with `docker build -t temporalcloud-connector .`
# test/deploy/production-install.test.ts repeats the runtime stage's steps without a container
# runtime (prune, then run serve, a sync and `sync -f` as uid 10001): keep the two in step.

ARG NODE_IMAGE=node:20-bookworm-slim

# Build: compile TypeScript and the native modules (better-sqlite3, zstd-napi build from their
# bundled sources when no prebuilt binary fits), then drop the dev dependencies.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` installs exactly the lockfile and builds dist/ (the prepare script).
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# Runtime: Node.js, dist/ and the production dependencies, nothing else; owned by root and
# read-only to the connector, which runs as a fixed non-root uid.
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG SOURCE=""
LABEL org.opencontainers.image.title="temporalcloud-connector" \
      org.opencontainers.image.description="Baton (ConductorOne) connector for Temporal Cloud" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The only writes: .c1z files of `sync -f` (relative paths land in /data, mount a volume there)
# and SQLite's temporary files (TMPDIR, /tmp: mount an emptyDir there with a read-only root).
RUN mkdir /data && chown 10001:10001 /data
WORKDIR /data
USER 10001:10001
EXPOSE 50051
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/src/main.js"]
CMD ["serve"]
