#!/usr/bin/env bash
# Checks what the system must provide: Pango/HarfBuzz for WeasyPrint's PDFs and a font with Cyrillic.
# As root on Debian/Ubuntu it installs what is missing; otherwise it says what to install.
set -uo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=(pango)
  fc-list 2>/dev/null | grep -qi dejavu || missing+=(dejavu-fonts)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages for PDF rendering: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || { echo "Could not install ${missing[*]}; PDFs need them."; exit 1; }
else
  echo "PDF rendering needs these system packages: ${missing[*]}"
  echo "Install them with: sudo apt-get install ${missing[*]}"
  exit 1
fi
