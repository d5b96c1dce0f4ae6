# One image for both processes: `node dist/apps/api/src/main.js` or `node dist/apps/worker/src/main.js`.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-fund --no-audit
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
# Tests and benchmarks are compiled with the rest (spec files import test helpers), then left out of the image.
COPY test test
COPY bench bench
RUN npm run build && rm -rf dist/test dist/bench && find dist -name '*.spec.js*' -delete && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY migrations migrations
# The process's own files (the worker's temporary copies of the files it extracts; the blobs themselves only
# with BLOB_STORE=local, which needs a volume here shared by the api and the worker): writable by `node`. No
# VOLUME: with the default BLOB_STORE=postgres nothing here outlives the container.
RUN mkdir -p /data && chown node:node /data
EXPOSE 3000
USER node
CMD ["node", "dist/apps/api/src/main.js"]
