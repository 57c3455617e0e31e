#!/usr/bin/env bash
# The whole check on a fresh machine with only the .NET SDK: native set-up, restore, build, every test.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
# The `dotnet` that can load libtorch here (a private launcher where the system's C++ runtime is too old).
torch_dotnet=$(./scripts/setup.sh)
dotnet build TextGen.sln -c Release --nologo -v q -clp:ErrorsOnly
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test TextGen.sln -c Release --no-build --nologo -- RunConfiguration.DotNetHostPath="$torch_dotnet" 2>&1 | tee "$log" || status=$?
# One plain closing line that any CI reads: "N passed, N failed".
summary=$(grep -Eo 'Failed: *[0-9]+, Passed: *[0-9]+, Skipped: *[0-9]+' "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  failed=$(sed -E 's/Failed: *([0-9]+).*/\1/' <<<"$summary")
  passed=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$summary")
  skipped=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$summary")
  echo "tests: $passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
