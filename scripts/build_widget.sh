#!/usr/bin/env bash
# Rebuild the web chat's third-party browser files from the npm registry, at the exact
# versions of bot/web/package-lock.json, into bot/web/static/vendor/ (committed, so that
# serving the widget needs no Node.js). Also leaves bot/web/node_modules/axe-core for the
# browser tests. Needs node and npm. Run after changing bot/web/package.json.
set -euo pipefail
cd "$(dirname "$0")/../bot/web"
# --ignore-scripts: none of these packages needs an install script; run none.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
vendor=static/vendor
mkdir -p "$vendor"
cp node_modules/socket.io-client/dist/socket.io.esm.min.js "$vendor/"
cp node_modules/socket.io-client/LICENSE "$vendor/socket.io-client.LICENSE"
echo "socket.io-client $(node -p 'require("socket.io-client/package.json").version') → $vendor/"
