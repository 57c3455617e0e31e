#!/usr/bin/env bash
# Prints the path of a one-function library that answers MKL's CPU-vendor check "Intel", built once into the cache,
# for ./textgen to preload on AMD CPUs; prints nothing where it does not apply or cannot be built.
#
# MKL (inside libtorch) asks mkl_serv_intel_cpu_true() before it picks its matrix kernels, and on AMD it then takes
# slower ones: float32 products at under half speed on an AMD EPYC (Zen 5), 162 against 398 GFLOP/s (docs/runtime.md).
# MKL still chooses among the kernels by the CPU's own feature flags, so the answer only lifts the vendor gate. The
# check is inside libtorch, so only a preload reaches it; that needs a C compiler, which a bare machine may lack: then
# everything works as before, at MKL's AMD speed.
#
# Settings: TEXTGEN_CACHE and TEXTGEN_SYSROOT (as scripts/setup.sh; the tests fake /proc/cpuinfo), CC (default cc),
# TEXTGEN_MKL_VENDOR=off to skip.
set -uo pipefail
[ "${TEXTGEN_MKL_VENDOR:-}" = off ] && exit 0
grep -qm1 "vendor_id.*AuthenticAMD" "${TEXTGEN_SYSROOT:-}/proc/cpuinfo" 2>/dev/null || exit 0
# A preloaded library runs in every process started with it: only from a cache of this user's own, never a shared
# fallback such as /tmp that another user could fill first.
if [ -n "${TEXTGEN_CACHE:-}" ]; then cache=$TEXTGEN_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ]; then cache=$XDG_CACHE_HOME/textgen
elif [ -n "${HOME:-}" ]; then cache=$HOME/.cache/textgen
else exit 0
fi
dir="$cache/mkl-vendor"
shim="$dir/libtextgen-mkl-vendor.so"
case "$shim" in *[[:space:]:]*) exit 0 ;; esac # LD_PRELOAD splits on spaces and colons
if [ ! -s "$shim" ]; then
  [ -e "$dir/failed" ] && exit 0 # a compiler that cannot build it is not asked again on every command
  compiler="${CC:-cc}"
  command -v "$compiler" >/dev/null 2>&1 || exit 0
  mkdir -p "$dir" 2>/dev/null || exit 0
  work=$(mktemp -d "$dir/.build.XXXXXX" 2>/dev/null) || exit 0
  trap 'rm -rf "$work"' EXIT
  printf 'int mkl_serv_intel_cpu_true(void) { return 1; }\n' >"$work/shim.c"
  if ! "$compiler" -shared -fPIC -O2 -o "$work/libtextgen-mkl-vendor.so" "$work/shim.c" 2>/dev/null; then
    : >"$dir/failed" 2>/dev/null
    exit 0
  fi
  mv -f "$work/libtextgen-mkl-vendor.so" "$shim" 2>/dev/null || exit 0 # a rename: never a half-written library
fi
[ -O "$shim" ] && [ -O "$dir" ] || exit 0 # built by this user, in a folder only this user owns
echo "$shim"
