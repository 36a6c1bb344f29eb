#!/usr/bin/env bash
# The rollback runbook as a command: points an app's ECS service(s) back at the previous task definition
# (or the one running VERSION), waits until they are stable, runs the smoke test against the stage, and
# prints what it did. Needs the aws CLI with credentials for the stage's account, jq and curl.
#
#   scripts/rollback.sh STAGE APP [VERSION]
#
# STAGE    staging | production (the CDK stack Factory-STAGE)
# APP      control-center | github-mcp | deploy-mcp | observability-mcp | memory (memory also rolls back its worker)
# VERSION  a release version (1.4.2) or commit SHA the image is tagged with, or a task-definition revision
#          number; without it, the revision before the running one.
# Exit 0 when the rollback is stable and the smoke test passes, 1 when a step fails, 2 on bad usage.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -eq 2 || $# -eq 3 ]] || usage
STAGE="$1" APP="$2" VERSION="${3:-}"
case "$STAGE" in staging | production) ;; *) echo "unknown stage \"$STAGE\" (staging or production)" >&2; exit 2 ;; esac
STACK="Factory-$STAGE"
ECS_DEPLOY="$HERE/../deploy/scripts/ecs-deploy.sh"
RECORD="$(mktemp)"
trap 'rm -f "$RECORD"' EXIT

echo "== rolling $APP back on $STAGE${VERSION:+ to $VERSION}"
bash "$ECS_DEPLOY" revert "$STACK" "$APP" "$RECORD" ${VERSION:+"$VERSION"}
if [[ ! -s "$RECORD" ]]; then
  echo "nothing changed: $APP already runs the requested task definition"
  exit 0
fi

echo "== waiting for the services to be stable"
if ! bash "$ECS_DEPLOY" wait "$STACK" "$APP" "$RECORD"; then
  echo "rollback of $APP on $STAGE did not become stable; see the service events: aws ecs describe-services --cluster <cluster> --services <service>" >&2
  exit 1
fi

echo "== smoke test"
stack_output() { aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text; }
dns="$(stack_output LoadBalancerDns)"
secret="$(stack_output ApiKeySecretName)"
key="$(aws secretsmanager get-secret-value --secret-id "$secret" --query SecretString --output text)"
url_var="FACTORY_${STAGE^^}_URL"
export "$url_var=${!url_var:-http://$dns}"
if ! FACTORY_SERVICES="$APP" FACTORY_API_KEY="$key" bash "$HERE/smoke-test.sh" "$STAGE" "${FACTORY_ROLLBACK_SMOKE_WAIT:-120}"; then
  echo "rolled back $APP on $STAGE, but the smoke test fails: the fault is elsewhere (database, secrets, a dependency); roll back further with a VERSION or investigate" >&2
  exit 1
fi

echo "== done: $APP on $STAGE"
while read -r service from to; do echo "$service: ${from##*/} -> ${to##*/}"; done <"$RECORD"
