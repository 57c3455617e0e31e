#!/usr/bin/env bash
# Prints the path of a one-function library that answers MKL's CPU-vendor check "Intel", built once into the cache,
# for ./textgen to preload on AMD CPUs; prints nothing where it does not apply or cannot be built.
#
# MKL (inside libtorch) asks mkl_serv_intel_cpu_true() before it picks its matrix kernels, and on AMD it then takes
# slower ones: float32 products at under half speed on an AMD EPYC (Zen 5), 175 against 397 GFLOP/s (docs/runtime.md).
# MKL still chooses among the kernels by the CPU's own feature flags, so the answer only lifts the vendor gate. The
# check is inside libtorch, so only a preload reaches it; that needs a C compiler, which a bare machine may lack: then
# everything works as before, at MKL's AMD speed.
#
# Settings: TEXTGEN_CACHE and TEXTGEN_SYSROOT (as scripts/setup.sh; the tests fake /proc/cpuinfo), CC (default cc),
# TEXTGEN_MKL_VENDOR=off to skip.
set -uo pipefail
[ "${TEXTGEN_MKL_VENDOR:-}" = off ] && exit 0
grep -qm1 "vendor_id.*AuthenticAMD" "${TEXTGEN_SYSROOT:-}/proc/cpuinfo" 2>/dev/null || exit 0
cache="${TEXTGEN_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/textgen}"
shim="$cache/mkl-vendor/libtextgen-mkl-vendor.so"
if [ ! -s "$shim" ]; then
  compiler="${CC:-cc}"
  command -v "$compiler" >/dev/null 2>&1 || exit 0
  mkdir -p "$cache/mkl-vendor" 2>/dev/null || exit 0
  work=$(mktemp -d "$cache/mkl-vendor/.build.XXXXXX") || exit 0
  trap 'rm -rf "$work"' EXIT
  printf 'int mkl_serv_intel_cpu_true(void) { return 1; }\n' >"$work/shim.c"
  "$compiler" -shared -fPIC -O2 -o "$work/libtextgen-mkl-vendor.so" "$work/shim.c" 2>/dev/null || exit 0
  mv -f "$work/libtextgen-mkl-vendor.so" "$shim" || exit 0
fi
echo "$shim"
