# ShelfOps Gateway: `docker compose up` runs it next to a TimescaleDB server (docker-compose.yml).
FROM node:20-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

WORKDIR /app

# Dependencies first, so code changes reuse this layer. tsx runs the TypeScript sources.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
# The embedded database (used only without DATABASE_URL) keeps its files in .shelfops/.
RUN mkdir -p /app/.shelfops && chown -R node:node /app/.shelfops

USER node
EXPOSE 4000

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["npm", "start"]
