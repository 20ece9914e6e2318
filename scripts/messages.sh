#!/usr/bin/env bash
# Refresh the Russian catalogues (one per app, plus locale/ for templates/ and config/) and compile them.
# Needs GNU gettext (apt-get install gettext). The compiled .mo files are committed, so running the app
# never needs gettext.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=1
PY="$PWD/.venv/bin/python"
command -v msgfmt >/dev/null || { echo "GNU gettext is needed: apt-get install gettext"; exit 1; }
apps=(crm pipeline programs progress payments botapp audit api academy automations ops marketing ui followups privacy desk)
for app in "${apps[@]}"; do mkdir -p "$app/locale"; done
# One run from the top: LOCALE_PATHS (settings) lists each app's locale/ before the project's, and
# makemessages files every source under the first of them whose parent holds it. (Running inside an
# app's folder broke: Celery's Django fixup puts the cwd first on sys.path, so api/academy.py hid the
# academy app.)
mkdir -p locale
"$PY" manage.py makemessages -l ru --no-obsolete -v 0 \
  --ignore=.venv --ignore=var --ignore=staticfiles --ignore=media
"$PY" manage.py compilemessages -v 0 --ignore=.venv
echo "Catalogues updated. Untranslated entries:"
grep -c '^msgstr ""$' */locale/ru/LC_MESSAGES/django.po locale/ru/LC_MESSAGES/django.po || true
