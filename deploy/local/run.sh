#!/usr/bin/env bash
# `make run`: Kafka (unless KAFKA_BOOTSTRAP_SERVERS names one), a local mail
# sink, the four services on ports 8001-8004 and the workspace on 8005 with
# SQLite files (unless DATABASE_URL names a PostgreSQL database). Ctrl-C stops
# everything it started.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
state="${BATON_STATE_DIR:-$repo/.run}"
py="$repo/.venv/bin/python"
services=(intake routing ownership notifications)
declare -A ports=([intake]=8001 [routing]=8002 [ownership]=8003 [notifications]=8004)
mkdir -p "$state/logs"

started_kafka=false
if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
  deploy/local/kafka.sh status >/dev/null 2>&1 || started_kafka=true
  deploy/local/kafka.sh start
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:${BATON_KAFKA_PORT:-9092}"
fi

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo; echo "Stopping Baton..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  if $started_kafka; then deploy/local/kafka.sh stop; fi
}
trap cleanup EXIT INT TERM

# supervise NAME LOG CMD...: run CMD in the background, and again whenever it
# exits (a crashed service comes back; the others keep running). Ctrl-C stops it.
supervise() {
  local name=$1 log=$2
  shift 2
  (
    child=""
    trap '[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null; wait; exit 0' TERM INT
    restarts=0
    while true; do
      "$@" >>"$log" 2>&1 &
      child=$!
      code=0
      wait "$child" || code=$?  # (set -e would end the loop on a crash)
      restarts=$((restarts + 1))
      echo "run.sh: $name exited (status $code); starting it again (restart $restarts)" |
        tee -a "$log" >&2
      sleep $((restarts < 5 ? restarts : 5))
    done
  ) &
  pids+=($!)
}

# The mail sink stands in for a mail server unless BATON_SMTP_HOST points at one.
if [[ -z "${BATON_SMTP_HOST:-}" ]]; then
  : >"$state/logs/mailsink.log"
  supervise mailsink "$state/logs/mailsink.log" env BATON_STATE_DIR="$state" "$py" deploy/local/mailsink.py
fi
# The development identity provider: people sign in by choosing who they are, and
# every service verifies its tokens, as they would a company's provider's.
idp_port="${BATON_DEVIDP_PORT:-8090}"
export BATON_ENVIRONMENT="${BATON_ENVIRONMENT:-development}"
: >"$state/logs/devidp.log"
supervise devidp "$state/logs/devidp.log" env BATON_DEVIDP_PORT="$idp_port" \
  BATON_DEVIDP_ISSUER="http://127.0.0.1:$idp_port" BATON_STATE_DIR="$state" "$py" -m baton_devidp
export BATON_AUTH_MODE=jwt \
  BATON_AUTH_ISSUER="http://127.0.0.1:$idp_port" \
  BATON_AUTH_JWKS_URL="http://127.0.0.1:$idp_port/jwks.json" \
  BATON_AUTH_AUDIENCE=baton
# A development key for intake's API (only its hash is stored); scripts read BATON_API_KEY.
export BATON_API_KEY="$(BATON_STATE_DIR="$state" "$py" -m baton_intake.auth create --name development)"
# Notifications seals recipients' webhook secrets with a key kept in the state dir.
if [[ -z "${BATON_ENCRYPTION_KEYS:-}" ]]; then
  [[ -s "$state/encryption-key" ]] ||
    (umask 077 && "$py" -m baton_notifications.sealing new-key >"$state/encryption-key")
  BATON_ENCRYPTION_KEYS="$(cat "$state/encryption-key")"
  export BATON_ENCRYPTION_KEYS
fi
# Signs the links in messages: acknowledge links in owners' notices (notifications
# signs, ownership verifies) and rating links in reporters' (intake).
if [[ -z "${BATON_LINK_SIGNING_KEY:-}" ]]; then
  [[ -s "$state/link-signing-key" ]] ||
    (umask 077 && "$py" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$state/link-signing-key")
  BATON_LINK_SIGNING_KEY="$(cat "$state/link-signing-key")"
  export BATON_LINK_SIGNING_KEY
fi
# Notices link to the workspace's issue pages.
export BATON_WORKSPACE_URL="${BATON_WORKSPACE_URL:-http://127.0.0.1:8005}"
# Traces go to an OTLP/HTTP collector when one is given (OTEL_EXPORTER_OTLP_ENDPOINT);
# the services otherwise make spans but export none.
traces="not exported (set OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318 to send them)"
if [[ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]]; then
  export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-otlp}"
  export OTEL_EXPORTER_OTLP_PROTOCOL="${OTEL_EXPORTER_OTLP_PROTOCOL:-http/protobuf}"
  traces="$OTEL_TRACES_EXPORTER to $OTEL_EXPORTER_OTLP_ENDPOINT"
fi
for svc in "${services[@]}"; do
  : >"$state/logs/$svc.log"
  supervise "$svc" "$state/logs/$svc.log" env BATON_PORT="${ports[$svc]}" BATON_STATE_DIR="$state" \
    OTEL_SERVICE_NAME="baton-$svc" "$py" -m "baton_$svc"
done

ready() {  # ready SERVICE PORT: wait for /readyz, or show the log and fail
  for _ in $(seq 1 120); do
    if "$py" -c "import sys,urllib.request as u; u.urlopen('http://127.0.0.1:$2/${3:-readyz}', timeout=1)" \
        2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "$1 did not become ready; the end of $state/logs/$1.log:" >&2
  tail -n 40 "$state/logs/$1.log" >&2
  return 1
}
ready devidp "$idp_port" healthz
for svc in "${services[@]}"; do ready "$svc" "${ports[$svc]}"; done

# The workspace, once the others are up: people sign in through the identity
# provider (authorization code + PKCE), and it acts on ownership's API as them.
# Its session cookies are signed with a key kept in the state dir.
[[ -s "$state/workspace-session-key" ]] ||
  (umask 077 && "$py" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$state/workspace-session-key")
BATON_PORT=8005 BATON_STATE_DIR="$state" OTEL_SERVICE_NAME=baton-workspace \
  BATON_WORKSPACE_SESSION_KEY="$(cat "$state/workspace-session-key")" \
  BATON_WORKSPACE_OIDC_ISSUER="http://127.0.0.1:$idp_port" \
  BATON_WORKSPACE_OIDC_REDIRECT_URL="http://127.0.0.1:8005/auth/callback" \
  BATON_WORKSPACE_OWNERSHIP_URL="http://127.0.0.1:${ports[ownership]}" \
  BATON_WORKSPACE_NOTIFICATIONS_URL="http://127.0.0.1:${ports[notifications]}" \
  "$py" -m baton_workspace >"$state/logs/workspace.log" 2>&1 &
pids+=($!)
ready workspace 8005

cat <<EOT

Baton is running.
  workspace      http://127.0.0.1:8005  <- open this: sign in as anyone of the catalog
                 (e.g. Gita Rao, finance liaison; Frank Osei, finance head; Ada Admin;
                 Riley Reader sees the stall board and scorecards only)
  intake         http://127.0.0.1:8001/docs
  routing        http://127.0.0.1:8002/docs
  ownership      http://127.0.0.1:8003/docs
  notifications  http://127.0.0.1:8004/docs
  sign in        http://127.0.0.1:$idp_port/authorize (development identity provider: choose who you are)
  logs           $state/logs/    mail received: $state/mail/
  traces         $traces
  metrics        http://127.0.0.1:800[1-5]/metrics

  export BATON_API_KEY=$BATON_API_KEY    # intake's development key (systems)
  export TOKEN=\$(make -s token AS=fin-gita)   # a person's token: anyone of the catalog,
                                             # or admin, agent, reader (make token lists them)

Try it (in another terminal):

  id=\$(curl -s -X POST http://127.0.0.1:8001/v1/issues -H 'content-type: application/json' \\
    -H "authorization: Bearer \$BATON_API_KEY" \\
    -d '{"channel": "agent", "reporter": {"kind": "customer", "id": "cust-42"},
         "subject": "Charged twice", "description": "I want a refund for order 1234."}' \\
    | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a["duplicate_of"] or a["issue_id"])')
  # The same reporter and subject again within a day is linked to the first
  # issue (a near-duplicate): \$id is then that first issue, the one being worked.
  sleep 2
  auth="authorization: Bearer \$(make -s token AS=admin)"
  curl -s -H "\$auth" http://127.0.0.1:8002/v1/decisions/\$id     # which department, which rule, why
  curl -s -H "\$auth" http://127.0.0.1:8003/v1/issues/\$id/owner  # its one accountable owner
  curl -s -H "\$auth" "http://127.0.0.1:8004/v1/deliveries?issue_id=\$id"   # the email to that owner
  ls $state/mail/
  curl -s http://127.0.0.1:8002/metrics | grep ^baton_   # what each service counted

  # A customer's email: the owner's notice and the customer's acknowledgement,
  # threaded on their mail, arrive in $state/mail/ (the README's Quick start).
  printf 'From: Ada <ada@example.com>\nSubject: Charged twice for order 1234\nMessage-ID: <m1@example.com>\n\nPlease refund one.\n' |
    curl -s -X POST http://127.0.0.1:8001/v1/channels/email -H 'content-type: message/rfc822' \\
    -H "authorization: Bearer \$BATON_API_KEY" --data-binary @-

A service that crashes is started again (its log says so). Press Ctrl-C to stop.
EOT

# Each process is started again if it exits (its log says so); Ctrl-C stops all.
wait
