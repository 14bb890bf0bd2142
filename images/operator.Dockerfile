# syntax=docker/dockerfile:1.7
#
# The Kelos operator image: `kelos operator` on Node 24, distroless, non-root, with the
# production dependencies the operator loads and nothing else. Build from the repository root
# (images/README.md; images/build.sh builds it with buildah):
#
#   docker build -f images/operator.Dockerfile -t ghcr.io/kelos-ts/kelos-operator:dev .
#
# The image runs the JavaScript `npm run build` (scripts/build.ts) emits into lib/: run it
# first (images/build.sh does). Node's type stripping is for the repository, where there is
# nothing to build; an image runs compiled code, so nothing is stripped at each start and no
# TypeScript source ships.

# Pinned by digest. BUILD_BASE needs Node 24 and npm; BASE needs Node 24 at /nodejs/bin/node
# and the user 65532. The tests build on bases assembled from Debian packages and the npm
# `node` package instead (images/local-base.sh).
ARG BUILD_BASE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
ARG BASE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a

# --- dependencies: resolved from the lockfile, then pruned to what the operator loads -------
FROM ${BUILD_BASE} AS deps
# The npm registry to use and, behind a TLS-intercepting proxy, the CA bundle to trust
# (images/build.sh passes the host's; unset, npm uses registry.npmjs.org and its own roots).
# Build arguments of this stage only: they never reach the runtime image.
ARG npm_config_registry
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency gets to run code at build time; none needs to.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY lib/src ./lib/src
COPY images/operator-deps.ts ./images/operator-deps.ts
# The dependencies serve the whole CLI (cdk8s for synth, ...); the operator needs less than
# half. Also drops the type declarations tsc wrote next to the JavaScript.
RUN node images/operator-deps.ts

# --- runtime ------------------------------------------------------------------------------
FROM ${BASE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps --chown=0:0 /app/node_modules ./node_modules
COPY --from=deps --chown=0:0 /app/lib ./lib
# package.json: `"type": "module"` for lib/, and the version `kelos --version` reads.
COPY --chown=0:0 package.json ./
# distroless' nonroot user; files stay owned by root, so the process cannot change them.
USER 65532:65532
EXPOSE 8080 8081
# A small young generation and a slow-growing old one keep the heap small: about 210 MiB instead
# of 310 MiB with 10,000 Tasks cached, for 15-35% less CPU than --optimize-for-size (190 MiB),
# whose 1 MiB young generation collects all the time (bench/README.md, "The operator's V8
# flags"). Node refuses --heap-growing-percent in NODE_OPTIONS, so both are on the command line.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=8", "--heap-growing-percent=20", "lib/src/cli/main.js"]
CMD ["operator"]
