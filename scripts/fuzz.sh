#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that take outside bytes (docs/fuzzing.md): afl-fuzz drives
# tests/TextGen.Fuzzing, whose TextGen assemblies SharpFuzz instruments, for a bounded time per target.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     default: all targets, 120 s each
#
# Findings (inputs that crashed or hung the target) are replayed at the end with their exceptions. Once fixed, copy
# each into tests/TextGen.Fuzzing/findings/TARGET/: the test suite replays every file there, and later runs start
# from them. Needs no root: afl++ comes from the distribution's archive into the cache when it is not installed.
set -euo pipefail
shopt -s inherit_errexit
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$repo/scripts/private-apt.sh"
cache="${TEXTGEN_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/textgen}"
out="${TEXTGEN_FUZZ_OUT:-$repo/artifacts/fuzz}"
target="${1:-all}"
seconds="${2:-120}"

fail() { echo "fuzz.sh: $*" >&2; exit 1; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || fail "'$seconds' is not a number of seconds; pass a whole number, e.g. 300."

# --- afl-fuzz: the installed one, else Debian's afl++ unpacked into the cache (with the libraries it links). ---
afl_fuzz() {
  if command -v afl-fuzz >/dev/null 2>&1; then command -v afl-fuzz; return; fi
  local afl="$cache/afl" suite mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ ! -x "$afl/root/usr/bin/afl-fuzz" ]; then
    suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    mirror=$(apt_mirror "" '/debian/?$')
    [ -n "$suite" ] && [ -n "$mirror" ] && [ -r "$keyring" ] \
      || fail "afl-fuzz is not installed and no Debian mirror is configured to fetch it from; install afl++ (apt install afl++), then run this again."
    echo "Fetching afl++ from $suite ($mirror) into $afl, once." >&2
    # Fetched and unpacked beside the cache's folder, then moved into place: a half-done fetch is never taken for one.
    local work
    work=$(mktemp -d "$cache/.afl.XXXXXX") || fail "cannot write to $cache; set TEXTGEN_CACHE to a writable folder."
    mkdir -p "$work/debs" && apt_private_init "$work/apt" "deb [signed-by=$keyring] $mirror $suite main"
    apt_private "$work/apt" update >"$work/apt.log" 2>&1 \
      && (cd "$work/debs" && apt_private "$work/apt" download afl++ libpython3.11 libexpat1 zlib1g) >>"$work/apt.log" 2>&1 \
      || fail "could not download afl++ from $mirror ($(grep -E '^(E|W):' "$work/apt.log" | head -n 1)); install afl++ instead."
    for deb in "$work"/debs/*.deb; do
      dpkg-deb -x "$deb" "$work/root" || fail "could not unpack $(basename "$deb"); install afl++ instead."
    done
    rm -rf "$afl" && mv "$work" "$afl"
  fi
  echo "$afl/root/usr/bin/afl-fuzz"
}
afl=$(afl_fuzz)
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$cache/afl/root/usr/lib/x86_64-linux-gnu:$cache/afl/root/lib/x86_64-linux-gnu"

# --- The harness, published, with TextGen's assemblies instrumented (SharpFuzz's tool, in the cache). ---
tools="$cache/fuzz-tools"
[ -x "$tools/sharpfuzz" ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null \
  || fail "could not install SharpFuzz.CommandLine into $tools; check NuGet access."
# Instrumented code runs only under afl-fuzz; seeds and replays use a plain copy.
plain="$out/plain" bin="$out/instrumented"
rm -rf "$plain" "$bin"
dotnet publish "$repo/tests/TextGen.Fuzzing" -c Release -o "$plain" --nologo -v q -clp:ErrorsOnly
cp -r "$plain" "$bin"
for assembly in TextGen.Runtime TextGen.Training TextGen.Server; do
  "$tools/sharpfuzz" "$bin/$assembly.dll" >/dev/null || fail "SharpFuzz could not instrument $assembly.dll."
done
harness="$plain/TextGen.Fuzzing"
mapfile -t targets < <("$harness" --list | awk '{ print $1 }')
[ ${#targets[@]} -gt 0 ] || fail "the harness $harness lists no targets; see the build output above."
if [ "$target" != all ]; then
  printf '%s\n' "${targets[@]}" | grep -qx -- "$target" || fail "no target '$target'; pick one of: ${targets[*]} (or all)."
  targets=("$target")
fi

# --- Each target for $seconds: seeds from the harness plus every kept finding; a dictionary of the seeds' quoted words.
# A kept finding that fails again is reported first (afl-fuzz only warns about a seed that crashes). ---
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
summary="$out/summary.tsv"
printf 'target\tseconds\texecs\tinputs kept\tcrashes\thangs\n' >"$summary"
status=0
scratch="$out/scratch"
export TEXTGEN_FUZZ_SCRATCH="$scratch"
trap 'rm -rf "$scratch"' EXIT
for name in "${targets[@]}"; do
  work="$out/$name"
  rm -rf "$work" && mkdir -p "$work/seeds" "$scratch"
  "$harness" "$name" --seeds "$work/seeds"
  kept=("$repo/tests/TextGen.Fuzzing/findings/$name"/*)
  if [ -e "${kept[0]}" ]; then
    "$harness" "$name" "${kept[@]}" >"$work/kept.log" 2>&1 || { status=1; echo "-- a kept finding of $name fails again:" >&2; grep -A3 FINDING "$work/kept.log" >&2; }
    cp "${kept[@]}" "$work/seeds/"
  fi
  { grep -aoh '"[A-Za-z_]*"' "$work/seeds"/* || true; } | sort -u | awk '{ gsub(/"/, "\\\""); printf "key%d=\"%s\"\n", NR, $0 }' >"$work/keys.dict"
  echo "== $name: $seconds s" >&2
  "$afl" -V "$seconds" -i "$work/seeds" -o "$work/findings" -x "$work/keys.dict" -t 10000 -m none -- "$bin/TextGen.Fuzzing" "$name" >"$work/afl.log" 2>&1 \
    || { tail -n 20 "$work/afl.log" >&2; fail "afl-fuzz stopped on $name; its log is $work/afl.log."; }
  stats="$work/findings/default/fuzzer_stats"
  field() { awk -F' *: *' -v key="$1" '$1 == key { print $2 }' "$stats"; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(field run_time)" "$(field execs_done)" "$(field corpus_count)" "$(field saved_crashes)" "$(field saved_hangs)" >>"$summary"
  for found in "$work/findings/default/crashes"/id:* "$work/findings/default/hangs"/id:*; do
    [ -e "$found" ] || continue
    status=1
    echo "-- finding $found" >&2
    timeout 60 "$harness" "$name" "$found" >&2 || true
  done
done
column -t -s $'\t' "$summary"
exit "$status"
