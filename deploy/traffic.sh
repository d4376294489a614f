#!/usr/bin/env bash
# Moves traffic between revisions: canary split, promote, rollback.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

usage () {
  cat <<'EOF'
Usage: deploy/traffic.sh COMMAND [ARG] [--dry-run] [--help]

Commands (SERVICE and REGION from deploy/config.env):
  status              show which revisions serve traffic, and the tags
  canary PERCENT      send PERCENT% to the revision tagged "canary", the rest
                      stays where it is (after deploy.sh --canary)
  split REV=PCT,...   set an explicit split, e.g. split a-00007-x=90,a-00008-y=10
  promote             send 100% to the latest ready revision (the canary) and
                      let traffic follow new deploys again
  rollback [REV]      send 100% to REV, or by default to the newest ready
                      revision older than the one now serving most traffic
  --dry-run           print the commands, send nothing
  --help              show this help
EOF
}

COMMAND=''
ARG=''
while (($# > 0)); do
  case "$1" in
    -*) handle_common_option "$1" ;;
    *) if [[ -z $COMMAND ]]; then COMMAND="$1"; elif [[ -z $ARG ]]; then ARG="$1"; else die "unexpected argument: $1"; fi ;;
  esac
  shift
done
[[ -n $COMMAND ]] || { usage >&2; die 'no command given'; }
load_config

update_traffic () { gcloud_change run services update-traffic "$SERVICE" --region="$REGION" "$@"; }

# The revision that serves the largest share now.
serving_revision () {
  describe_traffic | sort -t$'\t' -k7,7nr | awk -F'\t' 'NR == 1 { print $6 }'
}

# The newest ready revision created before $1 (revisions list is newest first).
previous_revision () {
  gcloud_check run revisions list --service="$SERVICE" --region="$REGION" --sort-by=~metadata.creationTimestamp \
    --format='csv[no-heading,separator="	"](metadata.name,status.conditions[0].status)' |
    awk -F'\t' -v current="$1" 'seen && $2 == "True" { print $1; exit } $1 == current { seen = 1 }'
}

case "$COMMAND" in
  status)
    gcloud_check run services describe "$SERVICE" --region="$REGION" --format='yaml(status.traffic)' || true ;;
  canary)
    if ! [[ $ARG =~ ^[0-9]+$ ]] || ((ARG > 100)); then die 'canary needs a percentage, 0 to 100'; fi
    update_traffic --to-tags="canary=$ARG" ;;
  split)
    [[ $ARG =~ ^[^=,]+=[0-9]+(,[^=,]+=[0-9]+)*$ ]] || die 'split needs REV=PCT[,REV=PCT…]'
    update_traffic --to-revisions="$ARG" ;;
  promote)
    update_traffic --to-latest ;;
  rollback)
    target="$ARG"
    if [[ -z $target && $DRY_RUN == true ]]; then
      target='PREVIOUS_REVISION'
    elif [[ -z $target ]]; then
      current="$(serving_revision)"
      [[ -n $current ]] || die "cannot tell which revision of $SERVICE serves traffic"
      target="$(previous_revision "$current")"
      [[ -n $target ]] || die "no ready revision older than $current to roll back to"
      log "rolling back from $current to $target"
    fi
    update_traffic --to-revisions="$target=100" ;;
  *)
    usage >&2; die "unknown command: $COMMAND" ;;
esac
