#!/usr/bin/env bash
# Fails when the working tree has changes or untracked files that are not ignored: a test run must
# leave nothing behind (a stray database file, a generated PDF, a catalogue that was not committed).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
dirty=$(git status --porcelain --untracked-files=all)
if [ -n "$dirty" ]; then
  echo "The tree is not clean after the run:"
  echo "$dirty"
  exit 1
fi
