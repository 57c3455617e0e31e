#!/usr/bin/env bash
# The README's first command as a newcomer on Debian 12 meets it, whatever this machine already has: in a private
# mount namespace, bookworm's own libstdc++ (GLIBCXX up to 3.4.30) is bound over the installed one, /etc/os-release
# says Debian 12, and textgen's cache is empty. Then libtorch must be refused without the private runtime, and
# `./textgen train` on a small corpus must set up its private runtime, train and save a model that `sample` reads.
# Then .ci/deployed-server.sh runs the published server with .NET hidden, and .ci/installed-tool.sh repeats the
# training with the installed tool and the training package.
# Nothing outside the namespace changes. Fails loudly (exit 1, a `fresh-machine:` line) where it cannot simulate.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "fresh-machine: $*" >&2; }
die() { say "$*"; exit 1; }

if [ -z "${FRESH_MACHINE_WORK:-}" ]; then
  [ "$(uname -m)" = x86_64 ] || die "the simulation is of an x86-64 Debian 12 machine; this one is $(uname -m)."
  command -v unshare >/dev/null || die "unshare (util-linux) is missing, so no fresh machine can be simulated."
  . "$repo/scripts/private-apt.sh"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # Bookworm's libstdc++6, fetched like the set-up fetches trixie's: private apt state, no root needed.
  mirror=$(apt_mirror "" '/debian/?$')
  [ -n "$mirror" ] || die "found no Debian mirror in /etc/apt, so bookworm's libstdc++6 cannot be fetched."
  apt_private_init "$work/apt" "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main"
  apt_private "$work/apt" update >"$work/apt.log" 2>&1 || die "could not read bookworm's package index: $(grep -E '^(E|W):' "$work/apt.log" | head -n 1)"
  (cd "$work" && apt_private "$work/apt" download libstdc++6) >>"$work/apt.log" 2>&1 || die "could not download bookworm's libstdc++6."
  dpkg-deb -x "$work"/libstdc++6_*.deb "$work/bookworm"
  old=$(find "$work/bookworm" -name 'libstdc++.so.6.0.30' -type f | head -n 1)
  [ -n "$old" ] || die "bookworm's libstdc++6 package holds no libstdc++.so.6.0.30."
  status=0
  FRESH_MACHINE_WORK="$work" FRESH_MACHINE_LIBSTDCXX="$old" unshare -m --propagation private "${BASH_SOURCE[0]}" || status=$?
  [ $status -eq 0 ] || die "failed (exit $status); see the lines above."
  exit 0
fi

# --- Inside the namespace. ---
work=$FRESH_MACHINE_WORK
installed=$(readlink -f /usr/lib/x86_64-linux-gnu/libstdc++.so.6)
mount --bind "$FRESH_MACHINE_LIBSTDCXX" "$installed" || die "could not bind bookworm's libstdc++ over $installed (needs CAP_SYS_ADMIN)."
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n' >"$work/os-release"
mount --bind "$work/os-release" "$(readlink -f /etc/os-release)" || die "could not bind a Debian 12 os-release over /etc/os-release."
! grep -aq GLIBCXX_3.4.32 "$installed" || die "the simulation did not take: $installed still has GLIBCXX_3.4.32."
say "simulating $(. /etc/os-release && echo "$PRETTY_NAME"): $installed is bookworm's, newest symbol $(grep -ao 'GLIBCXX_3\.4\.[0-9]*' "$installed" | sort -V | tail -n 1); empty cache $work/cache."
export XDG_CACHE_HOME="$work/cache"
unset TEXTGEN_CACHE

cd "$repo"
corpus="$repo/README.md"
./textgen --help >/dev/null  # builds the CLI when needed; help loads no native library

say "without the private runtime (TEXTGEN_PRIVATE_RUNTIME=off), libtorch must be refused here:"
status=0
TEXTGEN_PRIVATE_RUNTIME=off dotnet src/TextGen.Cli/bin/Release/net10.0/textgen.dll train "$corpus" --max-time 5s -o "$work/plain.tgm" 2>"$work/plain.err" >/dev/null || status=$?
cat "$work/plain.err" >&2
[ $status -ne 0 ] && grep -q 'GLIBCXX_3.4.32' "$work/plain.err" || die "the system dotnet loaded libtorch (exit $status): the simulation is not a fresh Debian 12."
[ "$(wc -l <"$work/plain.err")" -eq 1 ] || die "the failure was not one line."

say "./textgen train $corpus --max-time 20s (the README's first command, on a small corpus):"
./textgen train "$corpus" --max-time 20s --seed 1 -o "$work/model.tgm"
[ -s "$work/model.tgm" ] || die "./textgen train wrote no model."
[ -x "$work/cache/textgen/runtime-trixie/dotnet/dotnet" ] || die "the private runtime is not in the fresh cache."
sample=$(./textgen sample -m "$work/model.tgm" --length 80 --seed 1)
[ -n "$sample" ] || die "./textgen sample printed nothing."
say "passed: trained on a simulated fresh Debian 12 with a private runtime in $work/cache/textgen; system libraries untouched."

# The server alone, as docs/deploy.md ships it: no .NET and no libtorch where it runs.
"$repo/.ci/deployed-server.sh" "$work" "$work/model.tgm"

# The installed tool and the training package, with no clone's scripts: the same machine, empty caches again.
"$repo/.ci/installed-tool.sh" "$work"
