#!/usr/bin/env bash
# Parse and structurally validate every .github/workflows/*.yml / *.yaml.
#   bash infra/check-workflows.sh     (from the repository root, or anywhere)
# Uses the `yaml` npm package pinned in infra/tools/package-lock.json (its own
# lockfile: the root package.json belongs to the app's local tooling).
set -euo pipefail

infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$infra_dir/.." && pwd)"
tools_dir="$infra_dir/tools"

if [[ ! -f "$tools_dir/node_modules/yaml/package.json" ]]; then
  npm ci --prefix "$tools_dir" --no-audit --no-fund --silent
fi

shopt -s nullglob
cd "$repo_root"
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
node "$tools_dir/check-workflows.mjs" "${workflows[@]}"
