#!/usr/bin/env bash
# The whole check on a fresh machine with only the .NET SDK: native set-up, restore, build, every test, then the
# generation kernels again on each narrower instruction set they dispatch to.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
# The `dotnet` that can load libtorch here (a private launcher where the system's C++ runtime is too old).
torch_dotnet=$(./scripts/setup.sh)
dotnet build TextGen.sln -c Release --nologo -v q -clp:ErrorsOnly
# The packages (TextGen.Runtime, TextGen.Training, the textgen tool) into artifacts/packages: tests consume them. The
# tool is one package per platform, each published (and so built) for its platform.
for library in TextGen.Runtime TextGen.Training; do
  dotnet pack "src/$library" -c Release --no-build --nologo -v q -clp:ErrorsOnly
done
dotnet pack src/TextGen.Cli -c Release --nologo -v q -clp:ErrorsOnly
# The server on its own, trimmed and self-contained (docs/deploy.md); a trimming warning fails the publish.
dotnet publish src/TextGen.Serve -c Release -o artifacts/textgen-serve --nologo -v q -clp:ErrorsOnly
status=0
# Style: the build already fails on .editorconfig's code-style rules; formatting and line length are checked here.
if ! dotnet format TextGen.sln --verify-no-changes --no-restore -v q; then
  echo "style: run \`dotnet format TextGen.sln\` and commit what it changes" >&2
  status=1
fi
long_lines=$(find src tests examples -name '*.cs' -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
  | xargs -0 awk 'length > 200 { print FILENAME ":" FNR ": " length " characters" }')
if [ -n "$long_lines" ]; then
  echo "style: lines over 200 characters (.editorconfig's max_line_length); wrap them:" >&2
  echo "$long_lines" >&2
  status=1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Three assemblies: the managed runtime's (no TorchSharp, tests in parallel), training's, and whole programs'.
run_tests() {
  dotnet test "$@" -c Release --no-build --nologo -- RunConfiguration.DotNetHostPath="$torch_dotnet" 2>&1 | tee -a "$log"
}
run_tests TextGen.sln || status=1
# AVX2+FMA without AVX-512, 128-bit vectors without AVX2, and no SIMD at all: a machine without AVX-512 or AVX2
# (or an ARM64 one, which takes the 128-bit and scalar branches) must generate the same text.
for instruction_sets in DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0 DOTNET_EnableHWIntrinsic=0; do
  echo "== inference tests with $instruction_sets"
  (export "$instruction_sets"; run_tests tests/TextGen.Runtime.Tests --filter "FullyQualifiedName~TextGen.Tests.Inference|FullyQualifiedName~TextGen.Tests.Generation") || status=1
done
if ! command -v mpirun >/dev/null; then
  echo "MPI tests: skipped (no mpirun; install Open MPI, e.g. apt-get install openmpi-bin, to run them)"
fi
# One plain closing line that any CI reads: "N passed, N failed", summed over the runs (none when no run reported).
grep -Eo 'Failed: *[0-9]+, Passed: *[0-9]+, Skipped: *[0-9]+' "$log" \
  | awk -F'[:,] *' '{ failed += $2; passed += $4; skipped += $6; runs++ }
      END { if (runs) printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }'
exit "$status"
