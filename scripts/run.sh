#!/usr/bin/env bash
# `make run`: migrate, seed the demo business once, then serve the web app and a Celery worker with
# beat on the embedded defaults (SQLite + filesystem broker). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/run-env.sh  # DEBUG, PORT and SITE_URL (from PORT unless set)
export C_FORCE_ROOT=1  # the worker refuses to run as root otherwise; fine for a local demo
PY=.venv/bin/python

$PY manage.py migrate --no-input -v 0
if [ ! -f var/.demo-seeded ]; then
  echo "Loading demo data (first run only)…"
  $PY manage.py seed_demo && touch var/.demo-seeded
fi

cleanup() {
  trap - INT TERM HUP EXIT
  set +e  # the terminal may be gone (HUP): a failed echo must not skip the stopping
  echo; echo "Stopping…"
  # Celery's main process shuts its pool down itself (signalling the pool too makes it hang);
  # runserver's autoreloader has a child, so its whole group goes.
  kill -TERM "$worker" 2>/dev/null || true
  kill -TERM -- "-$web" 2>/dev/null || true
  for _ in $(seq 20); do
    kill -0 "$worker" 2>/dev/null || kill -0 -- "-$web" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL -- "-$worker" "-$web" 2>/dev/null || true
}
trap cleanup INT TERM HUP EXIT  # HUP: the terminal window was closed

set -m  # each background job in its own process group, so Ctrl-C reaches its children too
.venv/bin/celery -A config worker -B -l warning --concurrency 2 \
  --schedule "$PWD/var/celerybeat-schedule" > var/celery.log 2>&1 &
worker=$!
$PY manage.py runserver "127.0.0.1:$PORT" &
web=$!
set +m

sleep 2
cat <<MSG

  Fitness CRM is running:  http://127.0.0.1:$PORT/
  Admin:    demo-admin   / demo-admin-2026   (Django admin at http://127.0.0.1:$PORT/admin/)
  Trainer:  demo-trainer / demo-trainer-2026
  Celery worker + beat log: var/celery.log        Stop with Ctrl-C.

MSG
wait -n "$worker" "$web" || true
