# ShelfOps Gateway: `docker compose up` runs it next to a TimescaleDB server (docker-compose.yml).
# Node.js 22 is an LTS release supported until April 2027; the code also runs on Node.js 20.11+.

# Build: compile the TypeScript sources, then keep only the production dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev && npm cache clean --force

# Run: node itself serves, under tini as PID 1, so SIGTERM reaches the gateway and it drains.
FROM node:22-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000

WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The migrations are read from sql/ beside dist/ (dist/db/migrate.js looks in ../../sql).
COPY sql ./sql
COPY persisted ./persisted
# The dashboard's page scripts, served at /dashboard (its documents are in persisted/).
COPY public ./public
# The embedded database (used only without DATABASE_URL) keeps its files in .shelfops/.
RUN mkdir -p /app/.shelfops && chown -R node:node /app/.shelfops

USER node
EXPOSE 4000
STOPSIGNAL SIGTERM

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
# The old generation is capped (npm run start:prod does the same): V8 otherwise lets it grow with
# garbage to twice the live heap before collecting. Raise it with RESPONSE_CACHE_MAX_BYTES.
CMD ["node", "--max-old-space-size=128", "dist/main.js"]
