#!/usr/bin/env bash
# Checks /health and /ready of every Factory service and the control center's aggregate view.
#
#   scripts/health-check.sh [local|staging|production] [wait_seconds]
#
# Exit 0 when everything passes, 1 when a check fails (after retrying for wait_seconds, default 0),
# 2 on bad usage. Needs curl and node.
#
# Where the services are:
#   local                 http://127.0.0.1:<default port> for each service
#   staging / production  $FACTORY_STAGING_URL / $FACTORY_PRODUCTION_URL (scheme://host of the load
#                         balancer, no port; the CDK output LoadBalancerDns) plus each service's port.
#                         The memory worker is not behind the load balancer: the aggregate covers it.
#   <SERVICE>_URL         overrides one service's base URL: CONTROL_CENTER_URL, GITHUB_MCP_URL,
#                         DEPLOY_MCP_URL, OBSERVABILITY_MCP_URL, MEMORY_URL, MEMORY_WORKER_URL,
#                         WORKFLOW_WORKER_URL.
#   FACTORY_SERVICES      space-separated subset of services to check (default: all of the target).
#   FACTORY_API_KEY       Bearer key for the control center's /api/mcp/health (also read from API_KEY).
#   FACTORY_SKIP_AGGREGATE=true  skips the aggregate (when the control center is not among the services).
#
# What is checked (only fields the endpoints return):
#   GET /health           200, "status":"ok", "service" is the expected name
#   GET /ready            200, "ready":true (on failure the "errors" list is printed). A service that is
#                         not ready only because a required dependency is "not_configured" (no
#                         credentials, say) is reported as "skip" with the setting to set, not as a failure.
#   GET /api/mcp/health   (control center) 200, a completed sweep ("last_sweep_at"), "factory_available":true
#                         (not-configured services do not count against it); every required service not
#                         ready is named
set -uo pipefail

TARGET="${1:-local}"
WAIT_SECONDS="${2:-0}"
CURL_TIMEOUT="${FACTORY_CURL_TIMEOUT:-10}"

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
case "$TARGET" in
  local | staging | production) ;;
  -h | --help) usage ;;
  *) echo "unknown target \"$TARGET\" (expected local, staging or production)" >&2; usage ;;
esac
[[ "$WAIT_SECONDS" =~ ^[0-9]+$ ]] || { echo "wait_seconds must be a whole number, got \"$WAIT_SECONDS\"" >&2; usage; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 2; }
command -v node >/dev/null || { echo "node is required" >&2; exit 2; }

API_KEY_VALUE="${FACTORY_API_KEY:-${API_KEY:-}}"

declare -A PORTS=([control-center]=3000 [github-mcp]=3001 [deploy-mcp]=3002 [observability-mcp]=3003 [memory]=3004 [memory-worker]=3005 [workflow-worker]=3006)

case "$TARGET" in
  local)
    BASE="http://127.0.0.1"
    DEFAULT_SERVICES="control-center github-mcp deploy-mcp observability-mcp memory memory-worker workflow-worker"
    ;;
  staging)
    BASE="${FACTORY_STAGING_URL:-}"
    DEFAULT_SERVICES="control-center github-mcp deploy-mcp observability-mcp memory"
    ;;
  production)
    BASE="${FACTORY_PRODUCTION_URL:-}"
    DEFAULT_SERVICES="control-center github-mcp deploy-mcp observability-mcp memory"
    ;;
esac
SERVICES="${FACTORY_SERVICES:-$DEFAULT_SERVICES}"

# The base URL of a service: its <SERVICE>_URL override, else the target's host and the default port.
url_of() {
  local name="$1" var
  var="$(echo "$name" | tr 'a-z-' 'A-Z_')_URL"
  if [[ -n "${!var:-}" ]]; then
    echo "${!var%/}"
  elif [[ -n "$BASE" ]]; then
    echo "${BASE%/}:${PORTS[$name]}"
  else
    echo ""
  fi
}

for name in $SERVICES; do
  [[ -n "${PORTS[$name]:-}" ]] || { echo "unknown service \"$name\" in FACTORY_SERVICES" >&2; exit 2; }
  if [[ -z "$(url_of "$name")" ]]; then
    upper="$(echo "$TARGET" | tr '[:lower:]' '[:upper:]')"
    echo "no URL for $name: set FACTORY_${upper}_URL (the load balancer) or $(echo "$name" | tr 'a-z-' 'A-Z_')_URL" >&2
    exit 2
  fi
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# fetch URL [auth] -> writes the body to $TMP/body, echoes the HTTP status (000 when unreachable)
fetch() {
  local url="$1" auth="${2:-}"
  local args=(-sS -o "$TMP/body" -w '%{http_code}' --max-time "$CURL_TIMEOUT" -H 'Accept: application/json')
  if [[ -n "$auth" && -n "$API_KEY_VALUE" ]]; then args+=(-H "Authorization: Bearer $API_KEY_VALUE"); fi
  curl "${args[@]}" "$url" 2>"$TMP/curl-error" || true
}

# json_check KIND EXPECTED: evaluates the body in $TMP/body; prints a reason and returns 1 on failure.
json_check() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [kind, expected] = process.argv.slice(1);
    let body;
    try { body = JSON.parse(require("fs").readFileSync(process.argv[3], "utf8")); }
    catch { console.log("the body is not JSON"); process.exit(1); }
    const fail = (m) => { console.log(m); process.exit(1); };
    if (kind === "health") {
      if (body.status !== "ok") fail(`"status" is ${JSON.stringify(body.status)}, expected "ok"`);
      if (body.service !== expected) fail(`"service" is ${JSON.stringify(body.service)}, expected "${expected}"`);
    } else if (kind === "ready") {
      if (body.ready !== true) {
        const required = new Set(body.dependencies?.required ?? []);
        const unset = Object.entries(body.checks ?? {}).filter(([name, c]) => required.has(name) && c.status === "not_configured");
        // Exit 3: not configured (neutral), not broken.
        if (unset.length) { console.log(unset.map(([name, c]) => `${name}: ${c.message ?? "not configured"}`).join("; ")); process.exit(3); }
        fail(`"ready" is ${JSON.stringify(body.ready)}: ${(body.errors ?? []).join("; ") || "no errors given"}`);
      }
    } else if (kind === "aggregate") {
      if (!Array.isArray(body.services)) fail("no \"services\" list");
      if (!body.last_sweep_at) fail("the control center has not completed a sweep yet");
      const down = body.services.filter((s) => s.required && s.ready !== true).map((s) => `${s.name} (${s.status}${s.error ? ": " + s.error : ""})`);
      if (body.factory_available !== true) fail(`"factory_available" is ${JSON.stringify(body.factory_available)}; not ready: ${down.join(", ") || "none named"}`);
      const unconfigured = body.services.filter((s) => s.status === "not_configured").length;
      console.log(`${body.services.length} services, ${body.services.filter((s) => s.ready === true).length} ready${unconfigured ? `, ${unconfigured} not configured` : ""}`);
    }
  ' "$1" "${2:-}" "$TMP/body"
}

# One pass over everything; prints a line per check and returns the number of failures.
run_checks() {
  local failures=0 name base status reason
  for name in $SERVICES; do
    base="$(url_of "$name")"
    status="$(fetch "$base/health")"
    if [[ "$status" != "200" ]]; then
      echo "FAIL $name /health: HTTP $status $(head -c 200 "$TMP/curl-error" 2>/dev/null)"
      failures=$((failures + 1))
    elif ! reason="$(json_check health "$name")"; then
      echo "FAIL $name /health: $reason"
      failures=$((failures + 1))
    else
      echo "ok   $name /health"
    fi

    status="$(fetch "$base/ready")"
    if [[ "$status" == "000" ]]; then
      echo "FAIL $name /ready: unreachable $(head -c 200 "$TMP/curl-error" 2>/dev/null)"
      failures=$((failures + 1))
    elif reason="$(json_check ready)"; [[ $? -eq 3 ]]; then
      echo "skip $name /ready: not configured ($reason)"
    elif [[ -n "$reason" ]]; then
      echo "FAIL $name /ready: HTTP $status, $reason"
      failures=$((failures + 1))
    elif [[ "$status" != "200" ]]; then
      echo "FAIL $name /ready: HTTP $status"
      failures=$((failures + 1))
    else
      echo "ok   $name /ready"
    fi
  done

  if [[ " $SERVICES " == *" control-center "* && "${FACTORY_SKIP_AGGREGATE:-false}" != "true" ]]; then
    base="$(url_of control-center)"
    status="$(fetch "$base/api/mcp/health" auth)"
    if [[ "$status" == "401" ]]; then
      echo "FAIL control-center /api/mcp/health: HTTP 401, set FACTORY_API_KEY"
      failures=$((failures + 1))
    elif [[ "$status" != "200" ]]; then
      echo "FAIL control-center /api/mcp/health: HTTP $status"
      failures=$((failures + 1))
    elif ! reason="$(json_check aggregate)"; then
      echo "FAIL control-center /api/mcp/health: $reason"
      failures=$((failures + 1))
    else
      echo "ok   control-center /api/mcp/health: $reason"
    fi
  fi
  return "$failures"
}

deadline=$((SECONDS + WAIT_SECONDS))
attempt=1
while true; do
  output="$(run_checks)"
  failures=$?
  if [[ "$failures" -eq 0 ]]; then
    echo "$output"
    echo "all checks passed ($TARGET)"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    echo "$output"
    echo "$failures check(s) failed ($TARGET, attempt $attempt)" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
