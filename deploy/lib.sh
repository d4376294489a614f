# shellcheck shell=bash
# Helpers shared by every deploy/*.sh script. Sourced, never run.
#
# Conventions:
# - `run CMD…` for anything that changes something: a dry run prints CMD
#   (shell-quoted, so it can be pasted) on stdout and runs nothing.
# - `query CMD…` for a read-only check: a dry run prints it as a comment on
#   stderr and answers "not found", so the dry run shows every command a
#   first run would send. Nothing reaches the network in a dry run.
# - Every gcloud call names --project and --quiet: no prompt can hang CI, and
#   no hidden default project can be picked up.

DEPLOY_DIR="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
DRY_RUN=false

log () { printf '==> %s\n' "$*" >&2; }
die () { printf 'error: %s\n' "$*" >&2; exit 1; }

# Quotes one argument for a shell only when it needs it, so a printed command
# stays readable: --set-env-vars=A=1,B=2 rather than --set-env-vars=A=1\,B=2.
shell_quote () {
  if [[ $1 =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

format_command () {
  local out='' arg
  for arg in "$@"; do out+="$(shell_quote "$arg") "; done
  printf '%s' "${out% }"
}

run () {
  if [[ $DRY_RUN == true ]]; then
    printf '%s\n' "$(format_command "$@")"
  else
    printf '+ %s\n' "$(format_command "$@")" >&2
    "$@"
  fi
}

query () {
  if [[ $DRY_RUN == true ]]; then
    printf '# check: %s\n' "$(format_command "$@")" >&2
    return 1
  fi
  "$@"
}

# gcloud with the project and --quiet: gcloud_change for a command that
# changes something (through run), gcloud_check for a read-only one (through
# query).
gcloud_change () { run gcloud "$@" --project="$PROJECT_ID" --quiet; }
gcloud_check () { query gcloud "$@" --project="$PROJECT_ID" --quiet; }

# True when the describe-style command succeeds (the resource exists).
exists () { gcloud_check "$@" --format='value(name)' >/dev/null 2>&1; }

# Handles the options every script takes. Each script defines usage().
# --dry-run and --help, which every script takes; anything else is an error
# that shows the script's usage.
handle_common_option () {
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
}

# For the scripts that take no options of their own.
parse_common_options () {
  while (($# > 0)); do
    handle_common_option "$1"
    shift
  done
}

require_gcloud () {
  command -v gcloud >/dev/null 2>&1 ||
    die 'gcloud not found on PATH. Install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install'
}

# Loads deploy/config.env (or $DEPLOY_CONFIG) and derives the names the
# scripts share. The project comes from the config, then CLOUDSDK_CORE_PROJECT,
# then the active gcloud configuration (read locally, no network).
load_config () {
  CONFIG_FILE="${DEPLOY_CONFIG:-$DEPLOY_DIR/config.env}"
  [[ -r $CONFIG_FILE ]] || die "config file not found: $CONFIG_FILE"
  # shellcheck source=deploy/config.env
  source "$CONFIG_FILE"
  [[ $DRY_RUN == true ]] || require_gcloud
  PROJECT_ID="${PROJECT_ID:-${CLOUDSDK_CORE_PROJECT:-}}"
  if [[ -z $PROJECT_ID ]] && command -v gcloud >/dev/null 2>&1; then
    PROJECT_ID="$(gcloud config get-value project 2>/dev/null || true)"
  fi
  [[ -n $PROJECT_ID ]] ||
    die "no Google Cloud project: set PROJECT_ID in $CONFIG_FILE, or run: gcloud config set project YOUR_PROJECT"
  require_settings REGION SERVICE AR_REPOSITORY IMAGE_NAME RUNTIME_SA_NAME
  secret_names >/dev/null # fails here, in this shell, on a malformed SECRETS
  # shellcheck disable=SC2034 # used by the scripts that source this file
  RUNTIME_SA="${RUNTIME_SA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"
  # shellcheck disable=SC2034 # used by the scripts that source this file
  IMAGE_REPO="${REGION}-docker.pkg.dev/${PROJECT_ID}/${AR_REPOSITORY}/${IMAGE_NAME}"
}

require_settings () {
  local name missing=()
  for name in "$@"; do [[ -n ${!name:-} ]] || missing+=("$name"); done
  ((${#missing[@]} == 0)) || die "incomplete config in ${CONFIG_FILE}: set ${missing[*]}"
}

# Secret names referenced by SECRETS (ENV=name:version,…), one per line.
secret_names () {
  local spec entry name
  IFS=',' read -ra spec <<<"$SECRETS"
  for entry in "${spec[@]}"; do
    [[ -n $entry ]] || continue
    [[ $entry == *=*:* ]] || die "SECRETS entry '$entry' is not ENV_VAR=secret-name:version"
    name="${entry#*=}"
    printf '%s\n' "${name%%:*}"
  done
}

# Status of the service, one line per traffic target, as tab-separated
# fields: latestReady, latestCreated, url, tag, tagUrl, revision, percent.
describe_traffic () {
  gcloud_check run services describe "$SERVICE" --region="$REGION" \
    --flatten=status.traffic \
    --format='csv[no-heading,separator="	"](status.latestReadyRevisionName,status.latestCreatedRevisionName,status.url,status.traffic.tag,status.traffic.url,status.traffic.revisionName,status.traffic.percent)'
}

# bool_flag VALUE FLAG_IF_TRUE FLAG_IF_FALSE: gcloud's --x / --no-x pairs.
bool_flag () {
  case "$1" in
    true) printf '%s' "$2" ;;
    false) printf '%s' "$3" ;;
    *) die "expected true or false, got '$1' (for $2)" ;;
  esac
}
