#!/usr/bin/env bash
# Fetches the default price series: Stocks.csv (monthly closes of IBM, AAPL, MSFT, XRX, AMZN, ... from Yahoo Finance)
# from Debian's python-matplotlib-data package, written to corpora/Stocks.csv. Cached: does nothing when it exists.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/Stocks.csv"
[ -s "$target" ] && exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt's download user must be able to write here
echo "fetch-stocks: fetching Debian's python-matplotlib-data ..." >&2
if ! (cd "$work" && apt-get download -qq python-matplotlib-data >/dev/null 2>&1); then
  apt-get update -qq >/dev/null 2>&1 || true
  (cd "$work" && apt-get download -qq python-matplotlib-data >/dev/null) || {
    echo "fetch-stocks: apt-get download python-matplotlib-data failed; pass a CSV file instead." >&2
    exit 1
  }
fi
dpkg-deb -x "$work"/python-matplotlib-data_*.deb "$work/x"
source=$(find "$work/x" -name Stocks.csv | head -n 1)
[ -n "$source" ] || { echo "fetch-stocks: the package has no Stocks.csv; pass a CSV file instead." >&2; exit 1; }
cp "$source" "$target.tmp"
mv "$target.tmp" "$target"
echo "fetch-stocks: wrote $target." >&2
