# trt-bot in a container. The build stage compiles TypeScript with the dev dependencies; the
# runtime stage holds production dependencies, dist/ and the files the bot reads at start
# (product/, schemas/, bot/migrations/), and runs as the unprivileged `node` user.
# Production sets DATABASE_URL; without it the bot starts the embedded PostgreSQL in .data/
# inside the container, which is for trying the image out, not for keeping data (kb/deployment.md).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY bot ./bot
COPY emulators ./emulators
# `npm ci` runs the package's `prepare` script (`npm run build`), so the sources are copied first.
RUN npm ci
RUN npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY product ./product
COPY schemas ./schemas
COPY bot/migrations ./bot/migrations
# The only folder the bot writes to (the embedded PostgreSQL's data); the code stays root-owned and read-only.
RUN mkdir .data && chown node:node .data
USER node
EXPOSE 8080
# /health is answered from memory: a 200 means the process serves HTTP. The slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# entrypoint.command in product/truth.yaml: `npm start` runs dist/bot/main.js. npm forwards SIGTERM
# to the process its start script runs, so the bot stops gracefully (and releases the lock for the
# standby at once) only when that process is node itself: the script must exec it, not wrap it in a shell.
CMD ["npm", "start"]
