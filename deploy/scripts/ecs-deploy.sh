#!/usr/bin/env bash
# Deploys one app's new image to its ECS service(s), or rolls them back. Used by deploy.yml; needs the
# aws CLI and jq. Everything it needs to know comes from the CDK stack outputs.
#
#   deploy/scripts/ecs-deploy.sh deploy   STACK APP IMAGE_URI STATE_FILE
#   deploy/scripts/ecs-deploy.sh wait     STACK APP STATE_FILE
#   deploy/scripts/ecs-deploy.sh rollback STACK APP STATE_FILE
#   deploy/scripts/ecs-deploy.sh revert   STACK APP STATE_FILE [VERSION]
#
# deploy:   for each ECS service that runs APP (memory also runs memory-worker, control-center the workflow-worker), copies the running task
#           definition with the image of the app's container replaced (everything else kept), registers
#           it, points the service at it, and records "service previous-arn new-arn" lines in STATE_FILE.
# wait:     waits until every recorded service is stable (aws ecs wait services-stable).
# rollback: points every recorded service back at its previous task definition and waits for stable.
# revert:   (scripts/rollback.sh) points each ECS service of APP at an older revision of its task
#           definition family: the one before the running one, or with VERSION the newest revision whose
#           app container runs the image tagged VERSION (a release version or a commit SHA), or revision
#           VERSION when it is a number. Records the same lines as deploy; then `wait` applies.
set -euo pipefail

usage() { sed -n '5,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
COMMAND="$1"
shift

output() {
  local value
  value="$(aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text)"
  if [[ -z "$value" || "$value" == "None" ]]; then
    echo "stack $STACK has no output $1: deploy the infrastructure first (infra/, cdk deploy)" >&2
    exit 1
  fi
  echo "$value"
}
pascal() { echo "$1" | awk -F- '{ for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($i, 1, 1)), substr($i, 2) }'; }
services_of() {
  case "$1" in
    memory) echo "memory memory-worker" ;;
    control-center) echo "control-center workflow-worker" ;;
    github-mcp | deploy-mcp | observability-mcp) echo "$1" ;;
    *) echo "unknown app \"$1\"" >&2; exit 2 ;;
  esac
}

# running SERVICE: sets service_name, container and current (the task definition the service runs).
running() {
  local id
  id="$(pascal "$1")"
  service_name="$(output "${id}ServiceName")"
  container="$(output "${id}ContainerName")"
  current="$(aws ecs describe-services --cluster "$cluster" --services "$service_name" --query 'services[0].taskDefinition' --output text)"
}

wait_stable() {
  local cluster service
  cluster="$(output ClusterName)"
  while read -r service _ _; do
    [[ -n "$service" ]] || continue
    echo "waiting for $service to become stable"
    # services-stable polls every 15 s, 40 times (10 minutes).
    aws ecs wait services-stable --cluster "$cluster" --services "$service"
    echo "$service is stable"
  done <"$STATE_FILE"
}

case "$COMMAND" in
  deploy)
    [[ $# -eq 4 ]] || usage
    STACK="$1" APP="$2" IMAGE="$3" STATE_FILE="$4"
    cluster="$(output ClusterName)"
    : >"$STATE_FILE"
    for svc in $(services_of "$APP"); do
      running "$svc"
      previous="$current"
      aws ecs describe-task-definition --task-definition "$previous" --query taskDefinition --output json >"$STATE_FILE.task.json"
      if ! jq -e --arg c "$container" '[.containerDefinitions[] | select(.name == $c)] | length == 1' "$STATE_FILE.task.json" >/dev/null; then
        echo "task definition $previous has no container named $container" >&2
        exit 1
      fi
      jq --arg image "$IMAGE" --arg c "$container" '
        .containerDefinitions |= map(if .name == $c then .image = $image else . end)
        | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)
      ' "$STATE_FILE.task.json" >"$STATE_FILE.new-task.json"
      next="$(aws ecs register-task-definition --cli-input-json "file://$STATE_FILE.new-task.json" --query taskDefinition.taskDefinitionArn --output text)"
      aws ecs update-service --cluster "$cluster" --service "$service_name" --task-definition "$next" --query service.serviceName --output text >/dev/null
      echo "$service_name $previous $next" >>"$STATE_FILE"
      echo "$service_name: $previous -> $next ($IMAGE)"
    done
    rm -f "$STATE_FILE.task.json" "$STATE_FILE.new-task.json"
    ;;
  wait)
    [[ $# -eq 3 ]] || usage
    STACK="$1" APP="$2" STATE_FILE="$3"
    wait_stable
    ;;
  rollback)
    [[ $# -eq 3 ]] || usage
    STACK="$1" APP="$2" STATE_FILE="$3"
    if [[ ! -s "$STATE_FILE" ]]; then
      echo "nothing to roll back: $STATE_FILE is empty (the deploy did not reach update-service)"
      exit 0
    fi
    cluster="$(output ClusterName)"
    while read -r service previous next; do
      [[ -n "$service" ]] || continue
      aws ecs update-service --cluster "$cluster" --service "$service" --task-definition "$previous" --query service.serviceName --output text >/dev/null
      echo "$service rolled back: $next -> $previous"
    done <"$STATE_FILE"
    wait_stable
    ;;
  revert)
    [[ $# -eq 3 || $# -eq 4 ]] || usage
    STACK="$1" APP="$2" STATE_FILE="$3" VERSION="${4:-}"
    cluster="$(output ClusterName)"
    : >"$STATE_FILE"
    for svc in $(services_of "$APP"); do
      running "$svc"
      family="${current##*/}"
      family="${family%:*}"
      revision="${current##*:}"
      target=""
      if [[ -z "$VERSION" ]]; then
        for arn in $(aws ecs list-task-definitions --family-prefix "$family" --sort DESC --query taskDefinitionArns --output text); do
          if [[ "${arn##*/}" == "$family:"* && "${arn##*:}" -lt "$revision" ]]; then target="$arn"; break; fi
        done
        [[ -n "$target" ]] || { echo "$service_name runs $family:$revision and there is no older revision to roll back to" >&2; exit 1; }
      elif [[ "$VERSION" =~ ^[0-9]+$ ]]; then
        target="$(aws ecs describe-task-definition --task-definition "$family:$VERSION" --query taskDefinition.taskDefinitionArn --output text)"
      else
        for arn in $(aws ecs list-task-definitions --family-prefix "$family" --sort DESC --query taskDefinitionArns --output text); do
          [[ "${arn##*/}" == "$family:"* ]] || continue
          image="$(aws ecs describe-task-definition --task-definition "$arn" --query "taskDefinition.containerDefinitions[?name=='$container'].image | [0]" --output text)"
          if [[ "$image" == *":$VERSION" ]]; then target="$arn"; break; fi
        done
        [[ -n "$target" ]] || { echo "no revision of $family runs $container at $VERSION: deploy that release instead (deploy.yml, release: v...)" >&2; exit 1; }
      fi
      if [[ "$target" == "$current" ]]; then
        echo "$service_name already runs $target"
        continue
      fi
      aws ecs update-service --cluster "$cluster" --service "$service_name" --task-definition "$target" --query service.serviceName --output text >/dev/null
      echo "$service_name $current $target" >>"$STATE_FILE"
      echo "$service_name: $current -> $target"
    done
    ;;
  *) usage ;;
esac
