#!/usr/bin/env bash
# Parley, embedded mode: one command from a fresh clone to a running server.
#   bootstrap -> VAPID key (once) -> migrate -> load_demo_data -> the notifier (push, e-mail)
#   in the background ->
#   daphne on 127.0.0.1:${PORT:-8000} (Ctrl-C stops both)
#
# Defaults (each overridable from the environment):
#   DEBUG=true; SECRET_KEY generated once into var/dev-secret-key (not in git);
#   ALLOWED_HOSTS unset -> settings allow 127.0.0.1, localhost, [::1] in DEBUG; DATABASE_URL unset -> SpatiaLite file var/parley.sqlite3;
#   REDIS_URL unset -> in-memory channel layer; HOST=127.0.0.1; PORT=8000;
#   PARLEY_TIME_ZONE=America/New_York (the demo city is Columbus, Ohio).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

"$ROOT/scripts/bootstrap.sh"

PY="$ROOT/.venv/bin/python"
mkdir -p "$ROOT/var"

export DEBUG="${DEBUG:-true}"
if [[ -z "${SECRET_KEY:-}" ]]; then
    keyfile="$ROOT/var/dev-secret-key"
    if [[ ! -s "$keyfile" ]]; then
        (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' > "$keyfile")
        say "Generated a development SECRET_KEY in var/dev-secret-key"
    fi
    SECRET_KEY="$(cat "$keyfile")"
    export SECRET_KEY
fi
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export PORT
# The demo city is Columbus (Ohio): its pages, e-mails and PDFs speak its local time.
export PARLEY_TIME_ZONE="${PARLEY_TIME_ZONE:-America/New_York}"
# Links in e-mails point here.
export PARLEY_SITE_URL="${PARLEY_SITE_URL:-http://${HOST}:${PORT}}"

# Fail early and clearly if the port is taken (before spending time on migrations). The
# check binds as Daphne does, so the last run's connections in TIME_WAIT do not count: after
# Ctrl-C, `make run` starts again at once.
"$PY" "$ROOT/scripts/port_free.py" "$HOST" "$PORT" || exit 1

say "Database: ${DATABASE_URL:-SpatiaLite file var/parley.sqlite3 (default)}"
say "Time zone: ${PARLEY_TIME_ZONE}"
say "Channel layer: ${REDIS_URL:+Redis at $REDIS_URL}${REDIS_URL:-in-memory (default, single process)}"

# Web Push signs with a VAPID key pair made once here (docs/phones.md, "Web Push"); kept
# across runs, since phones subscribed with its public key. PARLEY_VAPID_PRIVATE_KEY wins.
if [[ -z "${PARLEY_VAPID_PRIVATE_KEY:-}" ]]; then
    "$PY" manage.py vapid_keys --write "$ROOT/var/vapid-private.pem"
fi

say "Applying migrations"
"$PY" manage.py migrate --noinput

say "Loading demo data"
"$PY" manage.py load_demo_data
echo "    (demo account passwords are also stored in var/demo-accounts.json)"

# The notifier sends Web Push and queued e-mail (printed here by the default console
# back-end; set EMAIL_URL for real mail) and stops with the server.
say "Starting the notifier: Web Push, and e-mail (printed below unless EMAIL_URL is set)"
"$PY" manage.py run_notifier &
notifier=$!
stop_notifier() { kill "$notifier" 2>/dev/null || true; }
trap stop_notifier EXIT

say "Starting Parley on http://${HOST}:${PORT}/  (Ctrl-C to stop)"
# 1 MiB: the largest WebSocket frame Daphne reads; the live channel answers one over 64 KiB
# with a too_large error and one over 1 MiB closes with 1009 (docs/protocol.md, "Limits").
# In the background, so that Ctrl-C (or a TERM) reaches this script, which stops the
# server and the notifier together; the script lives as long as the server.
"$ROOT/.venv/bin/daphne" -b "$HOST" -p "$PORT" \
    --websocket-max-message-size 1048576 config.asgi:application &
server=$!
stopping=false
stop_all() {
    stopping=true
    kill "$server" 2>/dev/null || true
    stop_notifier
}
trap stop_all INT TERM
status=0
wait "$server" || status=$?   # returns early when Ctrl-C arrives…
if $stopping; then
    wait "$server" 2>/dev/null || true   # …then waits for the server's shutdown
    status=0
fi
exit "$status"
