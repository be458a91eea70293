# syntax=docker/dockerfile:1
# Open Enroll container image: build the web app in one stage, run it as an unprivileged
# user in a slim one. Data (SQLite database, secret.key) lives in the DATA_DIR volume;
# with DATABASE_URL set to PostgreSQL only secret.key is kept there (or set MDM_SECRET).
# TLS is terminated by a reverse proxy in front (docker-compose.example.yml, docs/container.md).

ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim

# ---- build: all dependencies, Prisma clients, the Next.js build
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 falls back to compiling when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/schema-variants.mjs ./scripts/
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY . .
# The build bakes in whether PUBLIC_URL is https (HSTS); production always is, so build for
# https and scripts/start.ts finds the build current at every start with an https PUBLIC_URL.
ENV NEXT_TELEMETRY_DISABLED=1
RUN PUBLIC_URL=https://build.invalid node --import tsx scripts/start.ts --build-only \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies, the build, the sources start.ts checks
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
# start.ts takes a lock in /app while it checks the build is current: the node user owns /app.
RUN mkdir -p /data && chown node:node /data /app
COPY --from=build --chown=node:node /app /app
USER node
VOLUME ["/data"]
EXPOSE 3000
# /api/health answers 200 only when the database is reachable and its migrations current.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "scripts/start.ts"]
