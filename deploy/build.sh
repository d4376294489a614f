#!/usr/bin/env bash
# Builds and pushes the image, tagged with the git commit and a UTC time, and
# prints its immutable reference (IMAGE@sha256:…) for deploy.sh.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

usage () {
  cat <<'EOF'
Usage: deploy/build.sh [--builder cloud|docker] [--dry-run] [--help]

Builds the repository's Dockerfile and pushes it to
REGION-docker.pkg.dev/PROJECT_ID/AR_REPOSITORY/IMAGE_NAME:<git-sha>-<UTC time>,
then prints the image by digest on stdout (logs go to stderr):

  IMAGE="$(deploy/build.sh)" && deploy/deploy.sh --image "$IMAGE"

  --builder cloud   gcloud builds submit: no local Docker needed (default: BUILDER)
  --builder docker  docker build and push (run once: gcloud auth configure-docker REGION-docker.pkg.dev)
  --dry-run         print the commands, send nothing
  --help            show this help
EOF
}

while (($# > 0)); do
  case "$1" in
    --builder) BUILDER="${2:?--builder needs cloud or docker}"; shift ;;
    --builder=*) BUILDER="${1#*=}" ;;
    *) handle_common_option "$1" ;;
  esac
  shift
done
load_config # keeps a BUILDER set by --builder: config.env only fills in unset values
SOURCE_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
[[ -f $SOURCE_DIR/Dockerfile ]] || die "no Dockerfile in $SOURCE_DIR: the container image is defined there"
command -v git >/dev/null 2>&1 || die 'git not found: the image tag names the commit'

commit="$(git -C "$SOURCE_DIR" rev-parse --short=12 HEAD)"
if [[ -n $(git -C "$SOURCE_DIR" status --porcelain) ]]; then
  # The tag says so: an image from uncommitted files cannot be traced to code.
  log 'warning: uncommitted changes; the tag is marked -dirty'
  commit+='-dirty'
fi
TAG="${commit}-$(date -u +%Y%m%dT%H%M%SZ)"
IMAGE_TAGGED="$IMAGE_REPO:$TAG"
# Build output goes to stderr so stdout carries only the image reference (in
# a dry run, only the commands).
OUT_FD=2
[[ $DRY_RUN == false ]] || OUT_FD=1

case "$BUILDER" in
  cloud)
    gcloud_change builds submit "$SOURCE_DIR" --tag="$IMAGE_TAGGED" --region="$REGION" >&"$OUT_FD"
    [[ $DRY_RUN == true ]] && exit 0
    digest="$(gcloud artifacts docker images describe "$IMAGE_TAGGED" --project="$PROJECT_ID" --quiet \
      --format='value(image_summary.digest)')" ;;
  docker)
    command -v docker >/dev/null 2>&1 || [[ $DRY_RUN == true ]] || die 'docker not found: use --builder cloud'
    run docker build --pull --tag="$IMAGE_TAGGED" "$SOURCE_DIR" >&"$OUT_FD"
    run docker push "$IMAGE_TAGGED" >&"$OUT_FD"
    [[ $DRY_RUN == true ]] && exit 0
    digest="$(docker inspect --format='{{index .RepoDigests 0}}' "$IMAGE_TAGGED")"
    digest="${digest#*@}" ;;
  *)
    die "BUILDER must be cloud or docker, not '$BUILDER'" ;;
esac
[[ $digest == sha256:* ]] || die "could not read the digest of $IMAGE_TAGGED"
log "pushed $IMAGE_TAGGED"
printf '%s@%s\n' "$IMAGE_REPO" "$digest"
