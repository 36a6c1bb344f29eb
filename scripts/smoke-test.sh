#!/usr/bin/env bash
# Smoke test of a running Factory: health and readiness of everything (scripts/health-check.sh), then
# each MCP server answers `initialize` and `tools/list` over Streamable HTTP with the API key, and
# refuses a request without it when keys are configured. A server that is not configured (no GitHub or
# AWS credentials: health-check.sh reports it as "skip") still runs, so its MCP endpoint is exercised too.
#
#   scripts/smoke-test.sh [local|staging|production] [wait_seconds]
#
# Same settings as health-check.sh (FACTORY_<TARGET>_URL, <SERVICE>_URL, FACTORY_SERVICES, FACTORY_API_KEY).
# FACTORY_EXPECT_AUTH=true (the default for staging and production) also requires a 401 without the key.
# Exit 0 when everything passes, 1 on a failure, 2 on bad usage.
set -uo pipefail

TARGET="${1:-local}"
WAIT_SECONDS="${2:-0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CURL_TIMEOUT="${FACTORY_CURL_TIMEOUT:-15}"
API_KEY_VALUE="${FACTORY_API_KEY:-${API_KEY:-}}"
if [[ "$TARGET" == "local" ]]; then EXPECT_AUTH="${FACTORY_EXPECT_AUTH:-false}"; else EXPECT_AUTH="${FACTORY_EXPECT_AUTH:-true}"; fi

bash "$HERE/health-check.sh" "$TARGET" "$WAIT_SECONDS" || exit $?

declare -A PORTS=([control-center]=3000 [github-mcp]=3001 [deploy-mcp]=3002 [observability-mcp]=3003 [memory]=3004 [memory-worker]=3005 [workflow-worker]=3006)
case "$TARGET" in
  local) BASE="http://127.0.0.1" ;;
  staging) BASE="${FACTORY_STAGING_URL:-}" ;;
  production) BASE="${FACTORY_PRODUCTION_URL:-}" ;;
esac
MCP_SERVERS="github-mcp deploy-mcp observability-mcp memory"
SELECTED="${FACTORY_SERVICES:-$MCP_SERVERS}"

url_of() {
  local name="$1" var
  var="$(echo "$name" | tr 'a-z-' 'A-Z_')_URL"
  if [[ -n "${!var:-}" ]]; then echo "${!var%/}"; else echo "${BASE%/}:${PORTS[$name]}"; fi
}

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# mcp URL BODY [noauth] -> body in $TMP/body, echoes the HTTP status
mcp() {
  local args=(-sS -o "$TMP/body" -w '%{http_code}' --max-time "$CURL_TIMEOUT" -X POST
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'
    -H 'MCP-Protocol-Version: 2025-06-18' --data "$2")
  if [[ "${3:-}" != "noauth" && -n "$API_KEY_VALUE" ]]; then args+=(-H "Authorization: Bearer $API_KEY_VALUE"); fi
  curl "${args[@]}" "$1" 2>"$TMP/curl-error" || true
}

# Reads a JSON-RPC answer (plain JSON or one SSE "data:" line) and checks it.
check_answer() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [kind, expected, file] = process.argv.slice(1);
    const raw = require("fs").readFileSync(file, "utf8");
    const text = raw.trimStart().startsWith("{") ? raw : (raw.split("\n").find((l) => l.startsWith("data:")) ?? "").slice(5);
    let msg;
    try { msg = JSON.parse(text); } catch { console.log("the answer is not JSON-RPC"); process.exit(1); }
    const fail = (m) => { console.log(m); process.exit(1); };
    if (msg.error) fail(`error ${msg.error.code}: ${msg.error.message}`);
    if (kind === "initialize") {
      const name = msg.result?.serverInfo?.name;
      if (name !== expected) fail(`serverInfo.name is ${JSON.stringify(name)}, expected "${expected}"`);
      console.log(`protocol ${msg.result.protocolVersion}`);
    } else {
      const tools = msg.result?.tools;
      if (!Array.isArray(tools) || tools.length === 0) fail("tools/list returned no tools");
      const bad = tools.filter((t) => !t.name || !t.description || !t.inputSchema);
      if (bad.length) fail(`tools without name, description or input schema: ${bad.map((t) => t.name).join(", ")}`);
      console.log(`${tools.length} tools`);
    }
  ' "$1" "${2:-}" "$TMP/body"
}

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"factory-smoke-test","version":"1.0.0"}}}'
LIST='{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}'

failures=0
for name in $SELECTED; do
  [[ " $MCP_SERVERS " == *" $name "* ]] || continue
  base="$(url_of "$name")"
  status="$(mcp "$base/mcp" "$INIT")"
  if [[ "$status" != "200" ]]; then
    echo "FAIL $name initialize: HTTP $status $(head -c 300 "$TMP/body" 2>/dev/null)"
    failures=$((failures + 1))
  elif ! reason="$(check_answer initialize "$name")"; then
    echo "FAIL $name initialize: $reason"
    failures=$((failures + 1))
  else
    echo "ok   $name initialize: $reason"
  fi

  status="$(mcp "$base/mcp" "$LIST")"
  if [[ "$status" != "200" ]]; then
    echo "FAIL $name tools/list: HTTP $status $(head -c 300 "$TMP/body" 2>/dev/null)"
    failures=$((failures + 1))
  elif ! reason="$(check_answer tools)"; then
    echo "FAIL $name tools/list: $reason"
    failures=$((failures + 1))
  else
    echo "ok   $name tools/list: $reason"
  fi

  if [[ "$EXPECT_AUTH" == "true" ]]; then
    status="$(mcp "$base/mcp" "$LIST" noauth)"
    if [[ "$status" != "401" ]]; then
      echo "FAIL $name accepts /mcp without an API key (HTTP $status, expected 401)"
      failures=$((failures + 1))
    else
      echo "ok   $name refuses /mcp without an API key"
    fi
  fi
done

if [[ "$failures" -gt 0 ]]; then
  echo "$failures smoke check(s) failed ($TARGET)" >&2
  exit 1
fi
echo "smoke test passed ($TARGET)"
