#!/usr/bin/env bash
# Compile and lint the Azure deployment with zero tolerance for warnings.
#   bash infra/build.sh            (from the repository root, or anywhere)
# The Bicep CLI is restored from NuGet (Azure.Bicep.CommandLine.linux-x64) through
# infra/tools/BicepCli.proj, so no manual download and no az CLI are needed.
# Also validates .github/workflows/*.yml (infra/check-workflows.sh).
set -euo pipefail

infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$infra_dir/.." && pwd)"
bicep_version="${BICEP_VERSION:-0.49.2}"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) rid=linux-x64 ;;
  Linux-aarch64) rid=linux-arm64 ;;
  Darwin-x86_64) rid=osx-x64 ;;
  Darwin-arm64) rid=osx-arm64 ;;
  *) echo "build.sh: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
package_id="Azure.Bicep.CommandLine.$rid"

echo "==> restoring $package_id $bicep_version from NuGet"
dotnet restore "$infra_dir/tools/BicepCli.proj" --nologo --verbosity quiet \
  -p:BicepVersion="$bicep_version" -p:BicepRuntimeIdentifier="$rid"

# The global packages folder honours NUGET_PACKAGES and NuGet.Config.
packages_dir="$(dotnet nuget locals global-packages --list --force-english-output | sed -n 's/^global-packages: *//p')"
bicep="${packages_dir%/}/$(echo "$package_id" | tr '[:upper:]' '[:lower:]')/$bicep_version/tools/bicep"
if [[ ! -f "$bicep" ]]; then
  echo "build.sh: bicep binary not found at $bicep" >&2
  exit 2
fi
chmod +x "$bicep" # NuGet extraction does not always keep the executable bit.
echo "==> $("$bicep" --version)"

failed=0
# Runs one bicep command; fails on a non-zero exit code or any diagnostic
# (bicep lint exits 0 on warnings, so the output is checked too).
check() {
  local label="$1"; shift
  local output rc=0
  output="$("$@" 2>&1 >/dev/null)" || rc=$?
  if [[ $rc -ne 0 ]] || grep -qiE '(warning|error)' <<<"$output"; then
    echo "FAIL  $label (exit $rc)"
    [[ -n "$output" ]] && sed 's/^/      /' <<<"$output"
    failed=1
  else
    echo "ok    $label"
  fi
}

cd "$repo_root"
check "bicep build infra/main.bicep" "$bicep" build infra/main.bicep --stdout
check "bicep lint infra/main.bicep" "$bicep" lint infra/main.bicep
# Placeholders stand in for the deployment-time environment (never real values);
# both webhook cases are compiled: secret off (empty) and on.
check "bicep lint infra/main.bicepparam" \
  env CM_ACCOUNT_ID=00000000-0000-0000-0000-000000000000 CM_PRODUCT_TOKEN=placeholder WEBHOOK_SHARED_SECRET= \
  "$bicep" lint infra/main.bicepparam
check "bicep build-params infra/main.bicepparam (webhook secret off)" \
  env CM_ACCOUNT_ID=00000000-0000-0000-0000-000000000000 CM_PRODUCT_TOKEN=placeholder WEBHOOK_SHARED_SECRET= \
  "$bicep" build-params infra/main.bicepparam --stdout
check "bicep build-params infra/main.bicepparam (webhook secret on)" \
  env CM_ACCOUNT_ID=00000000-0000-0000-0000-000000000000 CM_PRODUCT_TOKEN=placeholder WEBHOOK_SHARED_SECRET=placeholder \
  "$bicep" build-params infra/main.bicepparam --stdout

# Formatting: every file must equal `bicep format` output (run it to fix).
for file in infra/main.bicep infra/main.bicepparam infra/modules/*.bicep; do
  if "$bicep" format "$file" --stdout 2>&1 | cmp -s - "$file"; then
    echo "ok    bicep format $file"
  else
    echo "FAIL  bicep format $file (run: bicep format $file)"
    failed=1
  fi
done

echo "==> workflows"
bash "$infra_dir/check-workflows.sh" || failed=1

if [[ $failed -ne 0 ]]; then
  echo "infra build: FAILED" >&2
  exit 1
fi
echo "infra build: ok (0 warnings, 0 errors)"
