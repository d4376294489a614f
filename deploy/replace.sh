#!/usr/bin/env bash
# The declarative path: renders deploy/service.yaml from deploy/config.env and
# applies it with `gcloud run services replace`.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

usage () {
  cat <<'EOF'
Usage: deploy/replace.sh --image IMAGE@sha256:DIGEST [--file MANIFEST] [--render] [--dry-run] [--help]

Fills the ${NAME} placeholders of a Knative Service manifest from
deploy/config.env and the image, then runs `gcloud run services replace`.

  --image IMAGE    image reference with @sha256:digest (or set IMAGE)
  --file MANIFEST  deploy/service.yaml (default) or deploy/service.otel-sidecar.yaml
  --render         print the rendered manifest and stop (for kubectl, or review)
  --dry-run        print the command, send nothing
  --help           show this help
EOF
}

IMAGE="${IMAGE:-}"
MANIFEST="$DEPLOY_DIR/service.yaml"
RENDER_ONLY=false
while (($# > 0)); do
  case "$1" in
    --image) IMAGE="${2:?--image needs a value}"; shift ;;
    --image=*) IMAGE="${1#*=}" ;;
    --file) MANIFEST="${2:?--file needs a value}"; shift ;;
    --file=*) MANIFEST="${1#*=}" ;;
    --render) RENDER_ONLY=true; DRY_RUN=true ;;
    *) handle_common_option "$1" ;;
  esac
  shift
done
load_config
[[ -r $MANIFEST ]] || die "manifest not found: $MANIFEST"
[[ -n $IMAGE ]] || die 'no image: pass --image IMAGE@sha256:DIGEST (deploy/build.sh prints it)'
[[ $IMAGE == *@sha256:* ]] || die "deploy by digest: '$IMAGE' has no @sha256: digest"

# Seconds as an integer, as the manifest wants them ("60s" -> 60).
[[ $TIMEOUT =~ ^[0-9]+s$ ]] || die "incomplete config in $CONFIG_FILE: TIMEOUT must be seconds, like 60s (got '$TIMEOUT')"
# shellcheck disable=SC2034 # both read through ${!name} in render()
TIMEOUT_SECONDS="${TIMEOUT%s}" OTEL_COLLECTOR_IMAGE="${OTEL_COLLECTOR_IMAGE:-}"
PLACEHOLDERS=(SERVICE REGION INGRESS MIN_INSTANCES MAX_INSTANCES CPU_THROTTLING CPU_BOOST
  CONCURRENCY TIMEOUT_SECONDS RUNTIME_SA IMAGE CPU MEMORY OTEL_COLLECTOR_IMAGE)

render () {
  local text name token
  text="$(<"$1")"
  for name in "${PLACEHOLDERS[@]}"; do
    token="\${$name}"
    text="${text//"$token"/${!name}}"
  done
  if [[ $text =~ \$\{[A-Z_]+\} ]]; then die "unknown placeholder ${BASH_REMATCH[0]} in $1"; fi
  printf '%s\n' "$text"
}

rendered="$(render "$MANIFEST")"
if [[ $RENDER_ONLY == true ]]; then
  printf '%s\n' "$rendered"
  exit 0
fi
RENDERED_FILE="$(mktemp --suffix=.yaml)"
if [[ $DRY_RUN == true ]]; then log "rendered manifest kept in $RENDERED_FILE"; else trap 'rm -f "$RENDERED_FILE"' EXIT; fi
printf '%s\n' "$rendered" >"$RENDERED_FILE"
gcloud_change run services replace "$RENDERED_FILE" --region="$REGION"
