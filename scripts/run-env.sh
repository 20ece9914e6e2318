# Sourced by scripts/run.sh: the environment of a local run. Every URL the app hands out (payment
# links, the demo checkout's return, CSRF origins) derives from SITE_URL, so it follows PORT unless
# SITE_URL is set explicitly.
export DEBUG="${DEBUG:-1}"
export PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
