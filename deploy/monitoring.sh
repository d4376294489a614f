#!/usr/bin/env bash
# Monitoring as code: log-based metrics, alert policies (each with a runbook
# line) and a dashboard for the service. Creates what is missing, by name.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

usage () {
  cat <<'EOF'
Usage: deploy/monitoring.sh [--dry-run] [--help]

Creates, for SERVICE (deploy/config.env), whatever of these is missing:
  log-based metrics  SERVICE-cold-starts, SERVICE-breaker-open
  alert policies     5xx ratio, p99 latency, instances at MAX_INSTANCES,
                     circuit breaker opened, cold-start frequency
  dashboard          "SERVICE overview"
An existing policy or metric with the same name is left alone: edit it in the
console, or delete it and run this again. Alert policies need gcloud's alpha
component (gcloud components install alpha; bundled with the Debian package).

  --dry-run  print the commands, send nothing (the JSON files are kept)
  --help     show this help
EOF
}

parse_common_options "$@"
load_config
require_settings MAX_INSTANCES ALERT_P99_LATENCY_MS ALERT_5XX_RATIO ALERT_COLD_STARTS_PER_5M

WORK_DIR="$(mktemp -d)"
if [[ $DRY_RUN == true ]]; then log "JSON files kept in $WORK_DIR"; else trap 'rm -rf "$WORK_DIR"' EXIT; fi

# The service's own structured log events (Cloud Logging jsonPayload):
# - every instance logs {"message":"<service> ready","bootMs":…} once at
#   start-up (src/server.ts), so counting bootMs is counting cold starts;
# - the circuit breaker logs {"event":"breaker_state_change","state":"open"}
#   at WARNING when it opens. Keep these names in step with the code.
REVISION_LOGS="resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"$SERVICE\""
COLD_START_FILTER="$REVISION_LOGS AND jsonPayload.bootMs:*"
BREAKER_OPEN_FILTER="$REVISION_LOGS AND jsonPayload.event=\"breaker_state_change\" AND jsonPayload.state=\"open\""

create_log_metric () { # NAME DESCRIPTION FILTER
  if exists logging metrics describe "$1"; then
    log "log-based metric $1 exists"
  else
    gcloud_change logging metrics create "$1" --description="$2" --log-filter="$3"
  fi
}
create_log_metric "$SERVICE-cold-starts" "Instance start-ups of $SERVICE (ready log line)" "$COLD_START_FILTER"
create_log_metric "$SERVICE-breaker-open" "Circuit breaker openings in $SERVICE" "$BREAKER_OPEN_FILTER"

json_escape () { local s="${1//\\/\\\\}"; printf '%s' "${s//\"/\\\"}"; }

# Cloud Run metric filters (Cloud Monitoring, "Google Cloud metrics: run").
RUN_METRIC="resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"$SERVICE\" AND metric.type"
CHANNELS=''
for channel in $ALERT_CHANNELS; do CHANNELS+="${CHANNELS:+,}\"$channel\""; done

# write_policy FILE DISPLAY_NAME RUNBOOK CONDITION_NAME THRESHOLD_JSON
write_policy () {
  cat >"$WORK_DIR/$1" <<EOF
{
  "displayName": "$(json_escape "$2")",
  "combiner": "OR",
  "documentation": { "mimeType": "text/markdown", "content": "$(json_escape "$3")" },
  "conditions": [{ "displayName": "$(json_escape "$4")", "conditionThreshold": $5 }],
  "alertStrategy": { "autoClose": "1800s" },
  "notificationChannels": [$CHANNELS]
}
EOF
}

sum_per_minute='[{ "alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_RATE", "crossSeriesReducer": "REDUCE_SUM" }]'
write_policy 5xx-ratio.json "$SERVICE: 5xx ratio above $ALERT_5XX_RATIO" \
  "Runbook: find the failing revision in the dashboard; if it is the newest, run deploy/traffic.sh rollback, else read its ERROR logs." \
  "5xx / all requests > $ALERT_5XX_RATIO for 5 min" "{
    \"filter\": \"$(json_escape "$RUN_METRIC = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\"")\",
    \"aggregations\": $sum_per_minute,
    \"denominatorFilter\": \"$(json_escape "$RUN_METRIC = \"run.googleapis.com/request_count\"")\",
    \"denominatorAggregations\": $sum_per_minute,
    \"comparison\": \"COMPARISON_GT\", \"thresholdValue\": $ALERT_5XX_RATIO, \"duration\": \"300s\", \"trigger\": { \"count\": 1 } }"

write_policy p99-latency.json "$SERVICE: p99 latency above ${ALERT_P99_LATENCY_MS} ms" \
  "Runbook: check the upstream's latency and breaker logs, then CPU and instance count; raise MAX_INSTANCES or lower CONCURRENCY if instances are saturated." \
  "p99 request latency > ${ALERT_P99_LATENCY_MS} ms for 5 min" "{
    \"filter\": \"$(json_escape "$RUN_METRIC = \"run.googleapis.com/request_latencies\"")\",
    \"aggregations\": [{ \"alignmentPeriod\": \"60s\", \"perSeriesAligner\": \"ALIGN_PERCENTILE_99\", \"crossSeriesReducer\": \"REDUCE_MAX\" }],
    \"comparison\": \"COMPARISON_GT\", \"thresholdValue\": $ALERT_P99_LATENCY_MS, \"duration\": \"300s\", \"trigger\": { \"count\": 1 } }"

write_policy max-instances.json "$SERVICE: instance count at max-instances ($MAX_INSTANCES)" \
  "Runbook: requests are queueing or being refused (429); raise MAX_INSTANCES in deploy/config.env if downstreams can take it, then deploy." \
  "instances >= $MAX_INSTANCES for 10 min" "{
    \"filter\": \"$(json_escape "$RUN_METRIC = \"run.googleapis.com/container/instance_count\"")\",
    \"aggregations\": [{ \"alignmentPeriod\": \"60s\", \"perSeriesAligner\": \"ALIGN_MAX\", \"crossSeriesReducer\": \"REDUCE_SUM\", \"groupByFields\": [\"resource.label.revision_name\"] }],
    \"comparison\": \"COMPARISON_GT\", \"thresholdValue\": $((MAX_INSTANCES - 1)), \"duration\": \"600s\", \"trigger\": { \"count\": 1 } }"

write_policy breaker-open.json "$SERVICE: circuit breaker opened" \
  "Runbook: an outbound dependency is failing (the breaker_state_change logs' dependency field says which; upstream = UPSTREAM_URL); check its status, and those logs for when the breaker opened and whether it closes again." \
  "breaker opened in the last 5 min" "{
    \"filter\": \"$(json_escape "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/$SERVICE-breaker-open\"")\",
    \"aggregations\": [{ \"alignmentPeriod\": \"300s\", \"perSeriesAligner\": \"ALIGN_DELTA\", \"crossSeriesReducer\": \"REDUCE_SUM\" }],
    \"comparison\": \"COMPARISON_GT\", \"thresholdValue\": 0, \"duration\": \"0s\", \"trigger\": { \"count\": 1 } }"

write_policy cold-starts.json "$SERVICE: frequent cold starts" \
  "Runbook: instances churn; check for crashes (CRITICAL logs) and scaling swings, and consider MIN_INSTANCES >= 1 or CPU_THROTTLING=false." \
  "more than $ALERT_COLD_STARTS_PER_5M cold starts in 5 min" "{
    \"filter\": \"$(json_escape "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/$SERVICE-cold-starts\"")\",
    \"aggregations\": [{ \"alignmentPeriod\": \"300s\", \"perSeriesAligner\": \"ALIGN_DELTA\", \"crossSeriesReducer\": \"REDUCE_SUM\" }],
    \"comparison\": \"COMPARISON_GT\", \"thresholdValue\": $ALERT_COLD_STARTS_PER_5M, \"duration\": \"0s\", \"trigger\": { \"count\": 1 } }"

existing_policies="$(gcloud_check alpha monitoring policies list --format='value(displayName)' 2>/dev/null || true)"
for file in 5xx-ratio.json p99-latency.json max-instances.json breaker-open.json cold-starts.json; do
  name="$(sed -n 's/^  "displayName": "\(.*\)",$/\1/p' "$WORK_DIR/$file")"
  if grep -qxF "$name" <<<"$existing_policies"; then
    log "alert policy '$name' exists"
  else
    gcloud_change alpha monitoring policies create --policy-from-file="$WORK_DIR/$file"
  fi
done

# chart TITLE METRIC_TYPE ALIGNER [REDUCER]: one line per revision.
chart () {
  printf '{ "title": "%s", "xyChart": { "dataSets": [{ "timeSeriesQuery": { "timeSeriesFilter": { "filter": "%s", "aggregation": { "alignmentPeriod": "60s", "perSeriesAligner": "%s", "crossSeriesReducer": "%s", "groupByFields": ["resource.label.revision_name"] } } } }] } }' \
    "$1" "$(json_escape "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"$SERVICE\" AND metric.type = \"$2\"")" "$3" "${4:-REDUCE_SUM}"
}
DASHBOARD="$SERVICE overview"
cat >"$WORK_DIR/dashboard.json" <<EOF
{
  "displayName": "$DASHBOARD",
  "gridLayout": { "columns": "2", "widgets": [
    $(chart 'Requests per second' run.googleapis.com/request_count ALIGN_RATE),
    $(chart 'p99 latency (ms)' run.googleapis.com/request_latencies ALIGN_PERCENTILE_99 REDUCE_MAX),
    $(chart 'Instances' run.googleapis.com/container/instance_count ALIGN_MAX),
    $(chart 'CPU utilisation' run.googleapis.com/container/cpu/utilizations ALIGN_PERCENTILE_99 REDUCE_MAX),
    $(chart 'Cold starts' "logging.googleapis.com/user/$SERVICE-cold-starts" ALIGN_DELTA),
    $(chart 'Breaker openings' "logging.googleapis.com/user/$SERVICE-breaker-open" ALIGN_DELTA)
  ] }
}
EOF
if grep -qxF "$DASHBOARD" <<<"$(gcloud_check monitoring dashboards list --format='value(displayName)' 2>/dev/null || true)"; then
  log "dashboard '$DASHBOARD' exists"
else
  gcloud_change monitoring dashboards create --config-from-file="$WORK_DIR/dashboard.json"
fi
log "monitoring ready for $SERVICE"
