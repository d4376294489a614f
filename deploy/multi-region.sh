#!/usr/bin/env bash
# Optional: the service in several regions behind one global external
# Application Load Balancer, with a serverless network endpoint group (NEG)
# per region. The load balancer sends each user to the nearest healthy
# region, so a regional outage does not take the service down.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

usage () {
  cat <<'EOF_USAGE'
Usage: deploy/multi-region.sh [--dry-run] [--help]

Creates what is missing of: a serverless NEG for SERVICE in each of
MULTI_REGIONS, a global backend service with those NEGs, a URL map, a global
IP address, a Google-managed certificate for LB_DOMAIN, an HTTPS proxy and a
forwarding rule on port 443. Prints the IP address for LB_DOMAIN's A record.

Deploy the service to each region first (REGION=r deploy/deploy.sh --image …),
and set INGRESS=internal-and-cloud-load-balancing so that nobody bypasses the
load balancer. A private service behind a load balancer needs IAP, or
ALLOW_UNAUTHENTICATED=true with that ingress setting.

  --dry-run  print the commands, send nothing
  --help     show this help
EOF_USAGE
}

parse_common_options "$@"
load_config
require_settings MULTI_REGIONS LB_DOMAIN

BACKEND="$SERVICE-backend"
URL_MAP="$SERVICE-url-map"
ADDRESS="$SERVICE-ip"
CERT="$SERVICE-cert"
PROXY="$SERVICE-https-proxy"
RULE="$SERVICE-https"

# ensure DESCRIBE_ARGS… -- CREATE_ARGS…: create unless describe finds it.
ensure () {
  local describe=()
  while [[ $1 != -- ]]; do describe+=("$1"); shift; done
  shift
  if exists compute "${describe[@]}"; then log "exists: ${describe[*]}"; else gcloud_change compute "$@"; fi
}

if ! grep -qxF compute.googleapis.com <<<"$(gcloud_check services list --enabled --format='value(config.name)' 2>/dev/null || true)"; then
  gcloud_change services enable compute.googleapis.com
fi
ensure backend-services describe "$BACKEND" --global -- \
  backend-services create "$BACKEND" --global --load-balancing-scheme=EXTERNAL_MANAGED
attached="$(gcloud_check compute backend-services describe "$BACKEND" --global --format='value(backends[].group)' 2>/dev/null || true)"
for region in $MULTI_REGIONS; do
  neg="$SERVICE-neg-$region"
  ensure network-endpoint-groups describe "$neg" --region="$region" -- \
    network-endpoint-groups create "$neg" --region="$region" --network-endpoint-type=serverless --cloud-run-service="$SERVICE"
  if [[ $attached == *"/networkEndpointGroups/$neg"* ]]; then
    log "$neg is already a backend"
  else
    gcloud_change compute backend-services add-backend "$BACKEND" --global \
      --network-endpoint-group="$neg" --network-endpoint-group-region="$region"
  fi
done
ensure url-maps describe "$URL_MAP" -- url-maps create "$URL_MAP" --default-service="$BACKEND"
ensure addresses describe "$ADDRESS" --global -- addresses create "$ADDRESS" --global --ip-version=IPV4
ensure ssl-certificates describe "$CERT" --global -- \
  ssl-certificates create "$CERT" --global --domains="$LB_DOMAIN"
ensure target-https-proxies describe "$PROXY" -- \
  target-https-proxies create "$PROXY" --url-map="$URL_MAP" --ssl-certificates="$CERT"
ensure forwarding-rules describe "$RULE" --global -- \
  forwarding-rules create "$RULE" --global --load-balancing-scheme=EXTERNAL_MANAGED \
  --address="$ADDRESS" --target-https-proxy="$PROXY" --ports=443

if [[ $DRY_RUN == false ]]; then
  ip="$(gcloud compute addresses describe "$ADDRESS" --global --project="$PROJECT_ID" --format='value(address)')"
  log "point the DNS A record of $LB_DOMAIN at $ip; the certificate becomes active after that (up to an hour)"
fi
