#!/usr/bin/env bash
# Makes this machine able to load TorchSharp's native library.
# TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13's libstdc++); Debian 12 ships up to
# 3.4.30. On Debian 12 we take libstdc++6 from Debian 13 (trixie), pinned low so that nothing else comes from
# trixie unless libstdc++6 needs it. Idempotent: does nothing where the library is new enough.
set -euo pipefail

needed=GLIBCXX_3.4.32

has_needed_symbol() {
  local lib
  lib=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')
  [ -n "$lib" ] && grep -aq "$needed" "$lib"
}

if has_needed_symbol; then
  exit 0
fi

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
if [ "$codename" != "bookworm" ]; then
  echo "setup: the system libstdc++ lacks $needed, which TorchSharp needs." >&2
  echo "setup: install libstdc++ from GCC 13 or newer (e.g. Debian 13, Ubuntu 24.04), then run this again." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: installing libstdc++6 from Debian 13 needs root; run: su -c $0" >&2
    exit 1
  fi
  sudo="sudo"
fi

# The Debian mirror this machine already uses for bookworm serves trixie too.
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
  | grep -v -- '-security' | sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//' | awk '/\/debian\/?$/ { print $1; exit }')
if [ -z "$mirror" ]; then
  echo "setup: found no Debian mirror in the apt sources; add one for trixie and install libstdc++6 from it." >&2
  exit 1
fi

echo "setup: installing libstdc++6 from Debian 13 (trixie), pinned, so TorchSharp can load ($needed)..." >&2
$sudo tee /etc/apt/sources.list.d/textgen-trixie.sources >/dev/null <<SOURCES
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
$sudo tee /etc/apt/preferences.d/textgen-trixie >/dev/null <<'PIN'
# Written by TextGen's scripts/setup.sh: nothing comes from trixie unless asked for.
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null

if ! has_needed_symbol; then
  echo "setup: libstdc++6 was installed but still lacks $needed; install GCC 13's libstdc++ by hand." >&2
  exit 1
fi
echo "setup: done." >&2
