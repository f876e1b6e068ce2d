# tracee-sig container image.
#   docker build -t tracee-sig:0.1.0 .
# Two stages: `build` compiles the TypeScript with the dev dependencies; `runtime`
# holds only the compiled code, the .proto files it loads at run time and the
# production dependencies.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so this layer is reused while only the sources change.
# No package needs its install scripts (protobufjs's postinstall only prints a
# version warning), so none run.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY signatures ./signatures
RUN npx tsc -p tsconfig.json && node dist/src/host/precompile-schemas.js

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY proto ./proto
COPY --from=build /app/dist ./dist
# The `node` user of the base image (uid 1000), given by number so that
# Kubernetes' runAsNonRoot can verify it. The Kubernetes sidecar overrides it
# (deploy/kubernetes/daemonset.yaml says why).
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/tracee-sig"]
CMD ["--help"]
