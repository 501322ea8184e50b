#!/usr/bin/env bash
# Runs the whole suite: unit, contract and (as root) end-to-end tests.
# Node 20's runner finds no .ts files by itself, so the files are passed explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find src test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no test files found" >&2
  exit 1
fi
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "$@" "${files[@]}"
