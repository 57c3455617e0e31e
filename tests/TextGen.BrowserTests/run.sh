#!/usr/bin/env bash
# The playground's browser tests: headless Chromium from Debian's `chromium` package, installed here when missing and
# the machine allows (root and apt); otherwise they say clearly that they did not run. Called by .ci/run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "browser tests: installing Debian's chromium..." >&2
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
  else
    echo "browser tests: NOT RUN (no chromium, and this user cannot install it: apt-get install chromium as root)" >&2
    exit 0
  fi
fi
export TEXTGEN_CHROMIUM="$(command -v chromium)"
dotnet test "$repo/tests/TextGen.BrowserTests" -c Release --nologo -- RunConfiguration.DotNetHostPath="$("$repo/scripts/setup.sh")"
