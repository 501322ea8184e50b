#!/usr/bin/env bash
# Builds the web admin UI (web/) into web/dist, which sipprotd serves on WEB_LISTEN.
set -euo pipefail
cd "$(dirname "$0")/.."
npx vite build --config web/vite.config.ts --logLevel warn "$@"
test -f web/dist/index.html
echo "web UI built: web/dist"
