# aurora-pg-proxy as a sidecar container.
#   docker build -t aurora-pg-proxy .
#   docker run --rm -e AURORA_PG_PROXY_DSQL_HOST=... aurora-pg-proxy dsql
# Configuration comes from AURORA_PG_PROXY_* variables (every flag has one) or a mounted
# --config file. Credentials come from the standard AWS chain (task role, IRSA, env).

FROM node:24-bookworm-slim AS build
# A C compiler for the native relay (native/pgrelay); it uses the headers and OpenSSL of Node itself.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY native ./native
COPY scripts ./scripts
RUN npx tsc -p tsconfig.build.json \
 && APGP_REQUIRE_NATIVE=1 node scripts/build-native.mjs \
 && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    AURORA_PG_PROXY_LOG_FORMAT=json \
    AURORA_PG_PROXY_LISTEN=127.0.0.1:5432 \
    AURORA_PG_PROXY_METRICS_LISTEN=0.0.0.0:9090 \
    AURORA_PG_PROXY_MAX_SIGTERM_DELAY=25
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/build ./build
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root config ./config
# The image's own unprivileged user; nothing in /app is writable by it.
USER node
# 5432: PostgreSQL clients (loopback by default: the application shares the pod's network).
# 9090: /metrics and /startup, /liveness, /readiness for probes.
EXPOSE 5432 9090
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/liveness').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/aurora-pg-proxy.js"]
CMD ["--help"]
