#!/usr/bin/env bash
# The test command: installs what the tests need (Azurite via npm ci, NuGet packages, the Bicep CLI),
# checks the infrastructure code, then builds and runs every test project. TRX results land in TestResults/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/azurite/dist/src/azurite.js ]; then
  echo "==> npm ci (Azurite)"
  npm ci --no-audit --no-fund
fi

echo "==> Bicep build and lint, workflow check"
bash infra/build.sh

echo "==> dotnet test"
rm -rf TestResults
dotnet test Functions.sln -c Release --logger trx --results-directory TestResults "$@"
