#!/usr/bin/env bash
# One-time (and safe to repeat) project setup: APIs, the Artifact Registry
# repository, the runtime service account with least privilege, and an
# optional deployer service account for CI. Every step checks before it
# creates, so a second run sends no change.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

usage () {
  cat <<'EOF'
Usage: deploy/bootstrap.sh [--dry-run] [--help]

Prepares a project for deploy/deploy.sh, from the settings in deploy/config.env
(or $DEPLOY_CONFIG):
  - enables the APIs the service and the scripts use;
  - creates the Artifact Registry Docker repository AR_REPOSITORY in REGION;
  - creates the runtime service account RUNTIME_SA_NAME and grants it
    RUNTIME_ROLES on the project and roles/secretmanager.secretAccessor on
    each secret named in SECRETS (on the secret, not the project); a missing
    secret is created empty, and you add its value;
  - with DEPLOYER_SA_NAME set, creates a deployer account for CI.
Safe to run twice: it checks each resource before creating it.

  --dry-run  print the commands a first run would send, and send nothing
  --help     show this help
EOF
}

parse_common_options "$@"
load_config

APIS=(run.googleapis.com artifactregistry.googleapis.com cloudbuild.googleapis.com
  secretmanager.googleapis.com iam.googleapis.com logging.googleapis.com
  monitoring.googleapis.com cloudtrace.googleapis.com)

enable_apis () {
  local enabled missing=() api
  enabled="$(gcloud_check services list --enabled --format='value(config.name)' || true)"
  for api in "${APIS[@]}"; do
    grep -qxF "$api" <<<"$enabled" || missing+=("$api")
  done
  if ((${#missing[@]} > 0)); then gcloud_change services enable "${missing[@]}"; else log "APIs already enabled"; fi
}

create_repository () {
  if exists artifacts repositories describe "$AR_REPOSITORY" --location="$REGION"; then
    log "repository $AR_REPOSITORY exists"
  else
    gcloud_change artifacts repositories create "$AR_REPOSITORY" --repository-format=docker \
      --location="$REGION" --description="Images for Cloud Run services"
  fi
}

# create_service_account NAME DISPLAY_NAME
create_service_account () {
  if exists iam service-accounts describe "$1@$PROJECT_ID.iam.gserviceaccount.com"; then
    log "service account $1 exists"
  else
    gcloud_change iam service-accounts create "$1" --display-name="$2"
  fi
}

# "role,member" lines of an IAM policy: `policy_pairs projects get-iam-policy P`.
policy_pairs () {
  gcloud_check "$@" --flatten='bindings[].members' --format='csv[no-heading](bindings.role,bindings.members)' 2>/dev/null || true
}

# grant_missing "EXISTING_PAIRS" MEMBER ROLE ADD_COMMAND… (without --member/--role)
grant_missing () {
  local pairs="$1" member="$2" role="$3"
  shift 3
  if grep -qxF "$role,$member" <<<"$pairs"; then
    log "$member already has $role"
  else
    gcloud_change "$@" --member="$member" --role="$role" --format=none
  fi
}

grant_runtime_roles () {
  local member="serviceAccount:$RUNTIME_SA" pairs role
  pairs="$(policy_pairs projects get-iam-policy "$PROJECT_ID")"
  for role in $RUNTIME_ROLES; do
    grant_missing "$pairs" "$member" "$role" projects add-iam-policy-binding "$PROJECT_ID" --condition=None
  done
  PROJECT_POLICY_PAIRS="$pairs"
}

# Least privilege for secrets: secretAccessor on each secret the service
# reads, never on the project (which would expose every secret in it).
grant_secret_access () {
  local secret
  while IFS= read -r secret; do
    if ! exists secrets describe "$secret"; then
      gcloud_change secrets create "$secret" --replication-policy=automatic
      log "secret $secret has no value yet. Add one: printf %s 'VALUE' | gcloud secrets versions add $secret --data-file=-"
    fi
    grant_missing "$(policy_pairs secrets get-iam-policy "$secret")" "serviceAccount:$RUNTIME_SA" \
      roles/secretmanager.secretAccessor secrets add-iam-policy-binding "$secret"
  done < <(secret_names)
}

# The CI identity: deploys revisions (run.developer), pushes images to this
# repository only, and may "act as" the runtime account only.
create_deployer () {
  [[ -n $DEPLOYER_SA_NAME ]] || return 0
  local deployer="$DEPLOYER_SA_NAME@$PROJECT_ID.iam.gserviceaccount.com"
  local member="serviceAccount:$deployer"
  create_service_account "$DEPLOYER_SA_NAME" "Deploys $SERVICE from CI"
  grant_missing "$PROJECT_POLICY_PAIRS" "$member" roles/run.developer \
    projects add-iam-policy-binding "$PROJECT_ID" --condition=None
  grant_missing "$(policy_pairs artifacts repositories get-iam-policy "$AR_REPOSITORY" --location="$REGION")" \
    "$member" roles/artifactregistry.writer \
    artifacts repositories add-iam-policy-binding "$AR_REPOSITORY" --location="$REGION"
  grant_missing "$(policy_pairs iam service-accounts get-iam-policy "$RUNTIME_SA")" \
    "$member" roles/iam.serviceAccountUser \
    iam service-accounts add-iam-policy-binding "$RUNTIME_SA"
}

enable_apis
create_repository
create_service_account "$RUNTIME_SA_NAME" "Runtime identity of $SERVICE"
grant_runtime_roles
grant_secret_access
create_deployer
log "bootstrap done for project $PROJECT_ID"
