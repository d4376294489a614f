# Three stages: `build` installs everything and bundles the server with
# esbuild; `compile-cache` warms V8's code cache for the bundle; the runtime
# stage receives dist/ (the bundle plus any runtime files) and that cache, and
# nothing else: no node_modules, npm, sources, tests or npm cache.
#
# Base images are pinned by digest so that a rebuild gets the same bytes; the
# tag in front of each digest is for readers. Renovate bumps the digests
# (renovate.json), and CI pulls and builds with them on every push
# (.github/workflows/ci.yml), so a digest that does not resolve fails there.
# To check or bump one by hand, see "Base images" in docs/container.md.
# Node 24 is LTS until 2028-04-30. `npm run test:container --
# --local-base-images` builds with local stand-ins instead, for a machine
# that reaches no image registry.
ARG BUILD_IMAGE=node:24-bookworm-slim@sha256:d6aa754f16b3197301076f047b5def2f02ea1dbbc2ca920407d46d7ec7f87b20
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12@sha256:1eb863ed9b3276bdff6030942999343fe287e7e50ddd8742d1d20668d1cb0ece

FROM ${BUILD_IMAGE} AS build
WORKDIR /app
# Dependencies first: a change to the sources reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts scripts/
COPY src src
RUN npx tsc -p tsconfig.build.json --noEmit && npm run build

# V8's compile cache for the bundle, written by booting it once on the
# runtime image's own node (a cache is only valid for the binary that wrote
# it). It cuts the median cold start by about a fifth; see docs/container.md.
# A stage of its own, so that the warming script stays out of the image.
FROM ${RUNTIME_IMAGE} AS compile-cache
WORKDIR /app
COPY --from=build /app/dist dist
COPY scripts/warm-compile-cache.ts /tmp/
# The same user as at run time: node keeps one cache folder per uid
# (v24.x.y-x64-<hash>-<uid>) and would not look in another user's.
USER 65532:65532
# Exec form: distroless has no shell. Node 24 runs the .ts file directly.
RUN ["/nodejs/bin/node", "/tmp/warm-compile-cache.ts", "/tmp/compile-cache"]

# Runtime: distroless Node.js 24 rather than node:24-slim. It holds node,
# glibc, CA certificates and tzdata, and no shell, package manager or npm
# (node:24-slim brings bash, apt and npm, ~80 MB more), so there is less to
# pull on each new instance and less to attack or to patch. The bundle needs
# nothing else. Every distroless image has the "nonroot" user, uid 65532,
# which USER below selects (the :nonroot tag only makes it the default).
FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/compile-cache
# Owned by root and read-only to the service's user: the running service
# cannot rewrite its own code (nor the cache; Node skips the write quietly).
COPY --from=build /app/dist dist
COPY --from=compile-cache /tmp/compile-cache compile-cache
USER 65532:65532
# No HEALTHCHECK: Cloud Run ignores it and uses its own startup and liveness
# probes (/ready and /health), which the service's deploy config declares.
# Exec form, so PID 1 is node itself and receives SIGTERM from Cloud Run.
# The distroless entrypoint is already node; naming it keeps any base image
# that puts node at /nodejs/bin/node working the same way.
# --max-semi-space-size=8: V8's young generation sized for 80 concurrent
# requests (Node's own on a 512 MiB instance is an eighth of it), so that
# what they hold dies young instead of being promoted and swept by full GCs
# (docs/adr/0011-young-generation.md). The same flags as package.json's start
# script (test/unit/project-files.test.ts).
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["--max-semi-space-size=8", "dist/server.js"]
