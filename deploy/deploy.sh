#!/usr/bin/env bash
# Deploys one image, by digest, with every setting from deploy/config.env,
# waits for the revision to be ready, smoke-tests it and prints its URL.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

usage () {
  cat <<'EOF'
Usage: deploy/deploy.sh --image IMAGE@sha256:DIGEST [--canary] [--no-smoke-test] [--dry-run] [--help]

Deploys IMAGE (by digest: the output of deploy/build.sh) to the Cloud Run
service SERVICE in REGION with every setting of deploy/config.env, waits until
the new revision is ready, smoke-tests GET /ready and GET / with curl (with an
ID token when the service is private), and prints the URL.

  --image IMAGE     image reference with @sha256:digest (or set IMAGE)
  --canary          deploy with no traffic, tagged "canary"; the printed URL
                    reaches only the new revision. Then: deploy/traffic.sh
  --no-smoke-test   skip the curl checks
  --dry-run         print the commands, send nothing
  --help            show this help

The smoke test gets its ID token from `gcloud auth print-identity-token`, as
SMOKE_INVOKER_SA (impersonated, with the URL as audience) when that is set.
EOF
}

IMAGE="${IMAGE:-}"
CANARY=false
SMOKE_TEST=true
while (($# > 0)); do
  case "$1" in
    --image) IMAGE="${2:?--image needs a value}"; shift ;;
    --image=*) IMAGE="${1#*=}" ;;
    --canary) CANARY=true ;;
    --no-smoke-test) SMOKE_TEST=false ;;
    *) handle_common_option "$1" ;;
  esac
  shift
done
load_config
[[ -n $IMAGE ]] || die 'no image: pass --image IMAGE@sha256:DIGEST (deploy/build.sh prints it)'
# An immutable reference: a tag can be moved after the fact; a digest cannot,
# so the revision always runs exactly what was tested.
[[ $IMAGE == *@sha256:* ]] || die "deploy by digest: '$IMAGE' has no @sha256: digest"
if [[ -n $VPC_CONNECTOR && -n $VPC_NETWORK ]]; then
  die "incomplete config in $CONFIG_FILE: set VPC_CONNECTOR or VPC_NETWORK/VPC_SUBNET, not both"
fi

flags=(
  --image="$IMAGE" --region="$REGION" --platform=managed
  --service-account="$RUNTIME_SA"
  --concurrency="$CONCURRENCY" --min-instances="$MIN_INSTANCES" --max-instances="$MAX_INSTANCES"
  --cpu="$CPU" --memory="$MEMORY" --timeout="$TIMEOUT" --ingress="$INGRESS"
  --startup-probe="$STARTUP_PROBE" --liveness-probe="$LIVENESS_PROBE"
)
flags+=("$(bool_flag "$CPU_BOOST" --cpu-boost --no-cpu-boost)")
flags+=("$(bool_flag "$CPU_THROTTLING" --cpu-throttling --no-cpu-throttling)")
flags+=("$(bool_flag "$ALLOW_UNAUTHENTICATED" --allow-unauthenticated --no-allow-unauthenticated)")
if [[ -n $VPC_NETWORK ]]; then
  flags+=(--network="$VPC_NETWORK" --vpc-egress="$VPC_EGRESS")
  [[ -z $VPC_SUBNET ]] || flags+=(--subnet="$VPC_SUBNET")
elif [[ -n $VPC_CONNECTOR ]]; then
  flags+=(--vpc-connector="$VPC_CONNECTOR" --vpc-egress="$VPC_EGRESS")
fi
# --set-* replaces the whole list: the config is the truth, and a variable
# removed from it disappears from the next revision.
if [[ -n $ENV_VARS ]]; then flags+=(--set-env-vars="$ENV_VARS"); else flags+=(--clear-env-vars); fi
if [[ -n $SECRETS ]]; then flags+=(--set-secrets="$SECRETS"); else flags+=(--clear-secrets); fi
flags+=(--labels="managed-by=deploy-sh")
if [[ $CANARY == true ]]; then flags+=(--no-traffic --tag=canary); fi

# Cloud Run refuses --no-traffic on a service's first revision: say so plainly.
if [[ $CANARY == true && $DRY_RUN == false ]] && ! exists run services describe "$SERVICE" --region="$REGION"; then
  die "$SERVICE does not exist yet in $REGION: the first deploy cannot be a canary; run deploy.sh without --canary"
fi

# gcloud run deploy itself waits until the revision is ready (or failed).
gcloud_change run deploy "$SERVICE" "${flags[@]}"

if [[ $DRY_RUN == true ]]; then
  log "dry run: would now check readiness, smoke-test and print the URL"
  exit 0
fi

# Readiness, checked rather than assumed: the latest created revision must be
# the latest ready one. Polls a little in case the deploy was interrupted.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  status="$(describe_traffic)"
  IFS=$'\t' read -r ready created service_url _ <<<"$status"
  [[ -n $created && $ready == "$created" ]] && break
  ((attempt < 10)) || die "revision $created did not become ready (latest ready: ${ready:-none})"
  sleep 3
done
url="$service_url"
if [[ $CANARY == true ]]; then
  url="$(awk -F'\t' '$4 == "canary" { print $5 }' <<<"$status")"
  [[ -n $url ]] || die "no URL for tag canary on $SERVICE"
fi
log "revision $created is ready"
# After a rollback, traffic is pinned to a revision by name and gcloud run
# deploy leaves it there; a deploy without --canary means "serve this".
if [[ $CANARY == false ]] &&
  ! awk -F'\t' -v rev="$created" '$6 == rev && $7 == 100 { found = 1 } END { exit !found }' <<<"$status"; then
  log "traffic is pinned to other revisions (a rollback?): sending 100% to $created"
  gcloud_change run services update-traffic "$SERVICE" --region="$REGION" --to-latest
fi

smoke_test () {
  local auth=()
  if [[ $ALLOW_UNAUTHENTICATED != true ]]; then
    local token
    if [[ -n ${SMOKE_INVOKER_SA:-} ]]; then
      token="$(gcloud auth print-identity-token --impersonate-service-account="$SMOKE_INVOKER_SA" \
        --audiences="$service_url" --include-email --quiet)"
    else
      # A service account (CI) needs the URL as audience; a user account
      # refuses --audiences, and its default token is accepted by Cloud Run.
      token="$(gcloud auth print-identity-token --audiences="$service_url" --quiet 2>/dev/null ||
        gcloud auth print-identity-token --quiet)"
    fi
    auth=(-H "Authorization: Bearer $token")
  fi
  local path
  for path in /ready /; do
    curl --fail --silent --show-error --max-time 10 --retry 3 --retry-all-errors \
      "${auth[@]}" -o /dev/null "$url$path" || die "smoke test failed: GET $url$path"
    log "smoke test passed: GET $url$path"
  done
}
[[ $SMOKE_TEST == false ]] || smoke_test
printf '%s\n' "$url"
