#!/usr/bin/env bash
# Finds a way for this machine to load TorchSharp's native library and prints the `dotnet` executable to run
# libtorch-loading programs with. Changes nothing outside its cache folder and needs no root.
#
# TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13's libstdc++); Debian 12 and Ubuntu 22.04
# ship older ones. Where the system library is new enough this prints the system `dotnet`. Elsewhere it fetches a
# newer C runtime (libc6, libstdc++6, libgcc-s1) from the distribution's next release with apt-get, as an ordinary
# user, unpacks it into the cache, and makes a private copy of the `dotnet` launcher whose dynamic loader and library
# path are that folder (patchelf); everything else (SDK, runtime, NuGet packages) is the installed one, by link.
# Only processes started through that copy use the private runtime: the system is left as it was.
#
# Output: one line on stdout, the `dotnet` to use. Every failure: one `setup:` line on stderr naming the problem and
# the fix, and a non-zero exit.
#
# Settings (all optional; the tests point them at fixtures):
#   TEXTGEN_CACHE   cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/textgen)
#   TEXTGEN_SYSROOT prefix for /etc/os-release, /etc/apt and the archive keyrings (default: none)
#   TEXTGEN_DOTNET  the dotnet launcher to copy (default: the `dotnet` on PATH; a running textgen passes its own)
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/private-apt.sh"

needed=GLIBCXX_3.4.32
sysroot="${TEXTGEN_SYSROOT:-}"
cache="${TEXTGEN_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/textgen}"

fail() {
  echo "setup: $*" >&2
  exit 1
}

# The system's 64-bit libstdc++, as the dynamic loader would find it.
system_libstdcxx() {
  local ldconfig
  for ldconfig in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
    if command -v "$ldconfig" >/dev/null 2>&1; then
      "$ldconfig" -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }'
      return 0
    fi
  done
}

has_needed_symbol() { [ -f "$1" ] && grep -aq "$needed" "$1"; }

dotnet_cmd=${TEXTGEN_DOTNET:-$(command -v dotnet 2>/dev/null)} || fail "no \`dotnet\` on PATH; install the .NET 10 SDK (https://dot.net) and run this again."

arch=$(uname -m)
[ "$arch" = x86_64 ] || fail "TorchSharp's CPU package has native libraries for Linux x86-64 only, and this machine is $arch; train on an x86-64 machine."

system_lib=$(system_libstdcxx)
if [ -n "$system_lib" ] && has_needed_symbol "$system_lib"; then
  echo "$dotnet_cmd"
  exit 0
fi

# The launcher copy needs the real `dotnet` executable beside its host/, shared/ and sdk/ folders.
dotnet_path=$(readlink -f "$dotnet_cmd")
[ "$(basename "$dotnet_path")" = dotnet ] && [ -d "$(dirname "$dotnet_path")/host" ] \
  || fail "the dotnet launcher ($dotnet_cmd -> $dotnet_path) is a wrapper (snap, a version manager), not the dotnet launcher itself; install the .NET SDK from Microsoft's packages or dotnet-install.sh, then run this again."

# --- The distribution's next release, from which the newer C runtime comes. ---
os_release="$sysroot/etc/os-release"
[ -r "$os_release" ] || fail "this system's libstdc++ lacks $needed (TorchSharp needs GCC 13's) and $os_release is missing, so the distribution is unknown; install libstdc++ from GCC 13 or newer."
os_id=$(. "$os_release" && echo "${ID:-}")
os_like=$(. "$os_release" && echo "${ID_LIKE:-}")
case " $os_id $os_like " in
  *" ubuntu "*) distro=Ubuntu; suite=noble; components="main universe"; path_pattern='/ubuntu/?$'; keyring=$sysroot/usr/share/keyrings/ubuntu-archive-keyring.gpg ;;
  *" debian "*) distro=Debian; suite=trixie; components=main; path_pattern='/debian/?$'; keyring=$sysroot/usr/share/keyrings/debian-archive-keyring.gpg ;;
  *) fail "this system's libstdc++ lacks $needed (TorchSharp needs GCC 13's) and TextGen fetches a private one only on Debian and Ubuntu; install libstdc++ from GCC 13 or newer (e.g. your distribution's libstdc++ update), then run this again." ;;
esac

runtime="$cache/runtime-$suite"
lib="$runtime/lib"

# Only a set-up that has something to make takes the cache's lock (a ready cache may be read-only): a second one
# waits, then finds the work done.
take_lock() {
  mkdir -p "$cache" 2>/dev/null || fail "cannot create the cache folder $cache; set TEXTGEN_CACHE to a writable folder."
  if command -v flock >/dev/null 2>&1; then
    { exec 9>"$cache/.lock" && flock 9; } 2>/dev/null || fail "cannot lock $cache/.lock; set TEXTGEN_CACHE to a writable folder."
  fi
}
runtime_ready() { [ -e "$lib/ld-linux-x86-64.so.2" ] && has_needed_symbol "$(readlink -f "$lib/libstdc++.so.6")" && [ -x "$runtime/patchelf" ]; }

fetch_runtime() {
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 \
    || fail "this system's libstdc++ lacks $needed and apt-get or dpkg-deb is missing, so a private one cannot be fetched; install libstdc++ from GCC 13 or newer."
  local mirror
  mirror=$(apt_mirror "$sysroot" "$path_pattern")
  [ -n "$mirror" ] || fail "found no $distro mirror in $sysroot/etc/apt (sources.list, sources.list.d/*.list or *.sources); add the distribution's mirror to apt's sources, then run this again."
  [ -r "$keyring" ] || fail "$keyring is missing, so $suite's packages cannot be verified; install the distribution's archive keyring package, then run this again."

  local work
  work=$(mktemp -d "$cache/.fetch.XXXXXX") || fail "cannot write to the cache folder $cache; set TEXTGEN_CACHE to a writable folder."
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/debs" "$work/root" "$work/runtime/lib" \
    && apt_private_init "$work/apt" "deb [signed-by=$keyring] $mirror $suite $components" \
    || fail "cannot write to the cache folder $cache; set TEXTGEN_CACHE to a writable folder."

  echo "Fetching a private C runtime from $suite ($mirror) into $runtime, once: this system's libstdc++ lacks $needed." >&2
  apt_private "$work/apt" update >"$work/apt.log" 2>&1 \
    || fail "could not read $suite's package index from $mirror ($(grep -E '^(E|W):' "$work/apt.log" | head -n 1)); check the network or apt's proxy settings, then run this again."
  (cd "$work/debs" && apt_private "$work/apt" download libc6 libstdc++6 libgcc-s1 patchelf) >>"$work/apt.log" 2>&1 \
    || fail "could not download libc6, libstdc++6, libgcc-s1 and patchelf from $suite ($(grep -E '^(E|W):' "$work/apt.log" | head -n 1)); check the network, then run this again."
  local deb
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root" || fail "could not unpack $(basename "$deb"); delete $cache and run this again."
  done
  # Merged-/usr and split layouts alike: every shared library of the packages, in one folder.
  find "$work/root" \( -name '*.so*' -o -name 'ld-linux-x86-64.so.2' \) \( -type f -o -type l \) -path '*x86_64-linux-gnu*' ! -path '*/gconv/*' ! -name '*.py' \
    -exec cp -P {} "$work/runtime/lib/" \;
  cp "$(find "$work/root" -name patchelf -type f | head -n 1)" "$work/runtime/patchelf" 2>/dev/null \
    || fail "the patchelf package from $suite holds no patchelf program; delete $cache and run this again."
  [ -e "$work/runtime/lib/ld-linux-x86-64.so.2" ] && has_needed_symbol "$(readlink -f "$work/runtime/lib/libstdc++.so.6")" \
    || fail "the packages from $suite lack the dynamic loader or $needed; install libstdc++ from GCC 13 or newer instead."
  rm -rf "$runtime"
  mv -T "$work/runtime" "$runtime" || fail "could not move the private runtime into $runtime; check that $cache is writable."
  rm -rf "$work"
  trap - EXIT
}

if ! runtime_ready; then
  take_lock
  runtime_ready || fetch_runtime
fi

# --- A private `dotnet` launcher: the installed one, loaded by the private loader with the private libraries first.
# The folder mirrors the installed dotnet root by links, so the SDK, runtimes and packs are the installed ones.
dotnet_root=$(dirname "$dotnet_path")
stamp="$dotnet_path $(stat -c '%s %Y' "$dotnet_path") $lib"
launcher_dir="$runtime/dotnet"
if [ "$(cat "$launcher_dir/.source" 2>/dev/null)" != "$stamp" ]; then
  take_lock
fi
if [ "$(cat "$launcher_dir/.source" 2>/dev/null)" != "$stamp" ]; then
  work=$(mktemp -d "$runtime/.dotnet.XXXXXX") || fail "cannot write to $runtime; set TEXTGEN_CACHE to a writable folder."
  trap 'rm -rf "$work"' EXIT
  for entry in "$dotnet_root"/*; do
    [ "$(basename "$entry")" = dotnet ] || ln -s "$entry" "$work/$(basename "$entry")"
  done
  cp "$dotnet_path" "$work/dotnet"
  "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$runtime/patchelf" \
      --set-interpreter "$lib/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$lib" "$work/dotnet" \
    || fail "patchelf could not prepare the private dotnet launcher; delete $runtime and run this again."
  echo "$stamp" >"$work/.source"
  chmod 755 "$work"
  rm -rf "$launcher_dir"
  mv -T "$work" "$launcher_dir" || fail "could not move the private dotnet launcher into $launcher_dir."
  trap - EXIT
fi
"$launcher_dir/dotnet" --list-runtimes >/dev/null 2>&1 \
  || fail "the private dotnet launcher in $launcher_dir does not start; delete $runtime and run this again."
echo "$launcher_dir/dotnet"
