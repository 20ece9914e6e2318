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
for app in "${apps[@]}"; do
  mkdir -p "$app/locale"
  (cd "$app" && "$PY" ../manage.py makemessages -l ru --no-obsolete -v 0)
done
ignore=(--ignore=.venv --ignore=var --ignore=staticfiles)
for app in "${apps[@]}"; do ignore+=("--ignore=$app"); done
mkdir -p locale
"$PY" manage.py makemessages -l ru --no-obsolete -v 0 "${ignore[@]}"
"$PY" manage.py compilemessages -v 0 --ignore=.venv
echo "Catalogues updated. Untranslated entries:"
grep -c '^msgstr ""$' */locale/ru/LC_MESSAGES/django.po locale/ru/LC_MESSAGES/django.po || true
