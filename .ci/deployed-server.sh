#!/usr/bin/env bash
# textgen-serve as docs/deploy.md ships it, on the simulated fresh Debian 12 of fresh-machine.sh: published trimmed
# and self-contained, then run with the .NET install hidden (a tmpfs over it, in a namespace of its own), as in a
# container that has no .NET. It must start, answer /health and a completion, and stop cleanly on SIGTERM.
# Usage (inside fresh-machine.sh's namespace): deployed-server.sh WORK_DIR MODEL
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "fresh-machine: $*" >&2; }
die() { say "$*"; exit 1; }
work=$1
model=$2

if [ -z "${DEPLOYED_SERVER_INNER:-}" ]; then
  say "textgen-serve, published trimmed and self-contained, then run with no .NET installed:"
  dotnet publish "$repo/src/TextGen.Serve" -c Release -o "$work/textgen-serve" --nologo -v q -clp:ErrorsOnly
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  DEPLOYED_SERVER_INNER="$dotnet_root" unshare -m --propagation private "${BASH_SOURCE[0]}" "$work" "$model"
  exit 0
fi

# --- Inside a namespace of its own: .NET is hidden. ---
mount -t tmpfs none "$DEPLOYED_SERVER_INNER" || die "could not hide the .NET install in $DEPLOYED_SERVER_INNER."
! dotnet --info >/dev/null 2>&1 || die "dotnet still runs: the .NET install in $DEPLOYED_SERVER_INNER is not hidden."
export DOTNET_ROOT=/nonexistent
cd "$work"
# Configured as a container is: the model from the environment.
TEXTGEN_MODEL="$model" "$work/textgen-serve/textgen-serve" --port 0 2>"$work/serve.err" >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/^Serving .* on \(http:[^ ]*\) .*/\1/p' "$work/serve.err")
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.err" >&2; die "textgen-serve ended before it served."; }
  sleep 0.1
done
[ -n "$url" ] || die "textgen-serve did not start in 30 s: $(head -n 3 "$work/serve.err")"
curl -sf "$url/health" >/dev/null || die "GET /health failed."
completion=$(curl -sf "$url/v1/completions" -H 'Content-Type: application/json' -d '{"prompt": "The ", "max_tokens": 20, "seed": 1}') \
  || die "POST /v1/completions failed."
grep -q '"text"' <<<"$completion" || die "the completion has no text: $completion"
kill -TERM "$server"
status=0
wait "$server" || status=$?
[ $status -eq 0 ] || die "textgen-serve ended with $status on SIGTERM."
say "passed: textgen-serve ($(du -sh "$work/textgen-serve" | cut -f1)) served $url with no .NET installed, and stopped on SIGTERM."
