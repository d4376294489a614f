#!/usr/bin/env bash
# npm run test:container [-- --local-base-images]: builds the project's
# Dockerfile for real and checks the image from the outside
# (test-container/image.test.ts). Needs root: it installs Debian's docker.io
# if it is missing and runs a private dockerd, stopped by PID on exit.
#
# Base images: by default the Dockerfile's own, pulled by their pinned
# digests, as any build of the image gets them. --local-base-images makes
# stand-ins instead, for a machine that reaches the npm registry and Debian's
# apt mirrors but no image registry: a debootstrap'd Debian (debootstrap is
# installed if missing) plus the Node 24 binary of the `node` devDependency.
# They are cached in $CACHE_DIR (docker save tarballs keyed by a hash of their
# inputs), so only the first run on a machine pays for debootstrap.
#
# All traffic of the service stays on loopback: dockerd makes no bridge and
# touches no iptables, every build and run uses the host network, and the
# service listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SUITE=bookworm
CACHE_DIR=${CONTAINER_TEST_CACHE:-/var/cache/hello-cloud-run/container-test}
IMAGE=hello-cloud-run:container-test

step () { printf '\n== %s\n' "$*"; }
fail () { printf '\ncontainer test: FAIL (%s)\n' "$*"; exit 1; }
usage () { printf 'Usage: npm run test:container [-- --local-base-images]\n'; }

LOCAL_BASE_IMAGES=false
for arg in "$@"; do
  case "$arg" in
    --local-base-images) LOCAL_BASE_IMAGES=true ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; printf 'test-container/run.sh: unknown option: %s\n' "$arg" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || fail 'it needs root, for dockerd'
[ -x node_modules/node/bin/node ] || fail 'run npm ci first: the checks run on the project'"'"'s vitest and Node 24'

step 'Tools'
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
if [ "$LOCAL_BASE_IMAGES" = true ]; then
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  # Needed to check the Release signature of a Debian suite from a non-Debian host (Ubuntu CI runners).
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
fi
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's client, which matches its daemon; another docker may come first on PATH.
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
dockerd --version

WORK=$(mktemp -d /tmp/hello-container-test.XXXXXX)
export DOCKER_HOST=unix://$WORK/docker.sock
DOCKERD_PID=
CHILD_PID=
# Runs a long step in the background and waits for it: bash runs a signal's
# trap only once a foreground command ends, but interrupts `wait` at once.
interruptible () { "$@" & CHILD_PID=$!; wait "$CHILD_PID"; }
cleanup () {
  local status=$?
  # Every step runs, whatever failed before it.
  set +e
  if [ -n "$CHILD_PID" ]; then kill -TERM "$CHILD_PID" 2>/dev/null; fi
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    "$DOCKER" ps -aq | xargs -r "$DOCKER" rm -f >/dev/null 2>&1
    kill -TERM "$DOCKERD_PID"
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then kill -KILL "$DOCKERD_PID"; fi
  fi
  # dockerd unmounts its layers when it stops; anything left is unmounted first.
  grep -o " ${WORK}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
# Ctrl-C or a CI timeout: exit, so that the EXIT trap stops dockerd.
trap 'exit 130' INT
trap 'exit 143' TERM

step "dockerd (data, exec root and socket under $WORK)"
dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
  -H "$DOCKER_HOST" --bridge=none --iptables=false --ip-masq=false \
  --containerd-namespace hello-container-test --containerd-plugins-namespace hello-container-test-plugins \
  >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.5; done
"$DOCKER" info >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; fail 'dockerd did not start'; }
echo "dockerd pid $DOCKERD_PID"

if [ "$LOCAL_BASE_IMAGES" = true ]; then
  step 'Base images: local stand-ins (--local-base-images)'
  NODE_BIN=$ROOT/node_modules/node/bin/node
  NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
  # The Debian mirror this machine's apt uses, if it is a Debian machine.
  MIRROR=
  if grep -qx 'ID=debian' /etc/os-release; then
    MIRROR=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
      | grep -oE 'https?://[^ ]+' | grep -v -- '-security' | head -1 || true)
  fi
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  KEY=$( { echo "$SUITE $MIRROR v1"; sha256sum "$NODE_BIN" "$CA_BUNDLE" "$NPM_DIR/package.json" test-container/base-images/* | cut -d" " -f1; } | sha256sum | cut -c1-16)
  CACHED=$CACHE_DIR/base-images-$KEY.tar
  if [ -f "$CACHED" ]; then
    echo "loading $CACHED"
    "$DOCKER" load -q -i "$CACHED"
  else
    echo "debootstrap --variant=minbase $SUITE from $MIRROR"
    interruptible debootstrap --variant=minbase "$SUITE" "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log"; fail 'debootstrap failed'; }
    rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
    tar -C "$WORK/rootfs" -c . | "$DOCKER" import - local/debian-minbase:$SUITE >/dev/null
    rm -rf "$WORK/rootfs"
    CONTEXT=$WORK/base-context
    mkdir -p "$CONTEXT"
    cp "$NODE_BIN" "$CONTEXT/node"
    cp -r "$NPM_DIR" "$CONTEXT/npm"
    cp "$CA_BUNDLE" "$CONTEXT/ca-certificates.crt"
    for kind in runtime build; do
      DOCKER_BUILDKIT=0 "$DOCKER" build -q --network host -t "local/node24-$kind" \
        -f "test-container/base-images/$kind.Dockerfile" "$CONTEXT" >/dev/null
    done
    rm -rf "$CONTEXT"
    mkdir -p "$CACHE_DIR"
    rm -f "$CACHE_DIR"/base-images-*.tar
    "$DOCKER" save -o "$CACHED.partial" local/node24-runtime local/node24-build
    mv "$CACHED.partial" "$CACHED"
  fi
  BUILD_IMAGE=local/node24-build
  RUNTIME_IMAGE=local/node24-runtime
else
  # The Dockerfile's defaults, pulled first so that an unreachable registry
  # or a digest that does not resolve is named before the build starts.
  BUILD_IMAGE=$(sed -n 's/^ARG BUILD_IMAGE=//p' Dockerfile)
  RUNTIME_IMAGE=$(sed -n 's/^ARG RUNTIME_IMAGE=//p' Dockerfile)
  step 'Base images: the Dockerfile'"'"'s, pulled by digest'
  for base in "$BUILD_IMAGE" "$RUNTIME_IMAGE"; do
    echo "$base"
    interruptible "$DOCKER" pull -q "$base" >/dev/null ||
      fail "could not pull $base (with no image registry in reach, use --local-base-images)"
  done
fi
for base in "$BUILD_IMAGE" "$RUNTIME_IMAGE"; do
  echo "$base: $("$DOCKER" image inspect -f '{{.Size}}' "$base" | numfmt --to=iec)B"
done

step 'docker build (the project Dockerfile, legacy builder)'
build_started=$SECONDS
DOCKER_BUILDKIT=0 interruptible "$DOCKER" build --network host \
  --build-arg BUILD_IMAGE="$BUILD_IMAGE" --build-arg RUNTIME_IMAGE="$RUNTIME_IMAGE" \
  -t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail 'docker build failed'; }
grep -E '^(Step|Successfully)' "$WORK/build.log"
echo "built in $((SECONDS - build_started)) s"

step 'Checks'
status=0
CONTAINER_TEST_IMAGE=$IMAGE CONTAINER_TEST_DOCKER=$DOCKER \
  interruptible npx vitest run --config test-container/vitest.config.ts || status=$?

step 'Sizes'
echo "image $IMAGE: $("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE" | numfmt --to=iec)B; runtime base: $("$DOCKER" image inspect -f '{{.Size}}' "$RUNTIME_IMAGE" | numfmt --to=iec)B"
echo 'layers added by the Dockerfile (newest first):'
base_layers=$("$DOCKER" history -q --no-trunc "$RUNTIME_IMAGE" | wc -l)
"$DOCKER" history --no-trunc --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | head -n "-$base_layers" | cut -c1-110

[ "$status" = 0 ] || fail 'see the failed checks above'
printf '\ncontainer test: PASS\n'
