#!/usr/bin/env bash
# The installed product as a user with no clone meets it, run inside .ci/fresh-machine.sh's simulated Debian 12: the
# `textgen` tool installed from artifacts/packages, and a console program referencing the TextGen.Training package,
# each with an empty NuGet cache and an empty textgen cache. Each must restart itself under a private C++ runtime,
# fetch libtorch, train, save and sample. libtorch comes from a local folder feed holding the package the solution's
# restore fetched (CI does not download 130 MB on every run), through the same code as any NuGet source. The fetch is
# also killed half-way (nothing may look whole afterwards) and run twice at once (one copy, both succeed).
# Usage: installed-tool.sh WORK (a scratch folder). Fails loudly with an `installed-tool:` line.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$1
say() { echo "installed-tool: $*" >&2; }
die() { say "$*"; exit 1; }
cd "$repo"

packages="$repo/artifacts/packages"
for library in TextGen.Runtime TextGen.Training; do
  dotnet pack "src/$library" -c Release --nologo -v q "-clp:ErrorsOnly;NoSummary" >&2
done
dotnet pack src/TextGen.Cli -c Release --nologo -v q "-clp:ErrorsOnly;NoSummary" >&2
restored=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
version=$(sed -n 's:.*<LibTorchVersion>\(.*\)</LibTorchVersion>.*:\1:p' Directory.Packages.props)
nupkg="$restored/libtorch-cpu-linux-x64/$version/libtorch-cpu-linux-x64.$version.nupkg"
[ -s "$nupkg" ] || die "the restore did not leave $nupkg to serve as the libtorch feed."
mkdir -p "$work/feed"
cp "$nupkg" "$work/feed/"
export TEXTGEN_LIBTORCH_SOURCE="$work/feed"
unset TEXTGEN_CACHE

# --- The tool. ---
export NUGET_PACKAGES="$work/nuget-tool" XDG_CACHE_HOME="$work/cache-tool"
dotnet tool install textgen --version 0.1.0 --tool-path "$work/tools" --add-source "$packages" >/dev/null \
  || die "dotnet tool install textgen failed."
say "installed the tool: $(du -sm "$work/tools" | cut -f1) MB in $work/tools"
textgen="$work/tools/textgen"

# A first run killed while it fetches libtorch leaves nothing that a later run would take for whole.
"$textgen" setup >"$work/killed.out" 2>&1 &
pid=$!
partial=""
for _ in $(seq 1 3000); do
  partial=$(find "$XDG_CACHE_HOME/textgen/libtorch" -name package.nupkg -size +1M 2>/dev/null | head -n 1 || true)
  [ -n "$partial" ] && break
  sleep 0.01
done
[ -n "$partial" ] || die "no download in progress to kill: $(cat "$work/killed.out")"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
! compgen -G "$XDG_CACHE_HOME/textgen/libtorch/libtorch-cpu-linux-x64*/native/libtorch_cpu.so" >/dev/null \
  || die "a killed fetch left a libtorch folder that looks whole."
say "killed a first run mid-download ($(du -m "$partial" | cut -f1) MB of $(du -m "$nupkg" | cut -f1)): nothing looks whole."

# Two first runs at once: both succeed, one copy lands.
"$textgen" setup >"$work/setup1.out" 2>&1 & first=$!
"$textgen" setup >"$work/setup2.out" 2>&1 & second=$!
wait "$first" || die "the first of two concurrent setups failed: $(tail -n 2 "$work/setup1.out")"
wait "$second" || die "the second of two concurrent setups failed: $(tail -n 2 "$work/setup2.out")"
[ "$(find "$XDG_CACHE_HOME/textgen/libtorch" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 1 ] \
  || die "two concurrent setups left more than one folder: $(ls -a "$XDG_CACHE_HOME/textgen/libtorch")"
[ "$(cat "$work/setup1.out" "$work/setup2.out" | grep -c '^fetched libtorch')" -eq 1 ] \
  || die "two concurrent setups fetched libtorch more than once."
say "two concurrent first runs: both ready, one fetch, one copy."

# The headline use: train for 20 s, then sample, from the installed tool.
rm -rf "$XDG_CACHE_HOME/textgen/libtorch"
start=$(date +%s%N)
"$textgen" train "$repo/README.md" --max-time 20s --seed 1 -o "$work/tool.tgm" >"$work/tool.out" 2>"$work/tool.err" \
  || die "the installed tool could not train: $(tail -n 3 "$work/tool.err")"
grep -q '^fetched libtorch' "$work/tool.err" || die "the tool's first train did not fetch libtorch."
say "the installed tool trained (first run, with the fetch: $(( ($(date +%s%N) - start) / 1000000 )) ms for --max-time 20s)."
[ -x "$XDG_CACHE_HOME/textgen/runtime-trixie/dotnet/dotnet" ] || die "the tool did not set up its private C++ runtime."
sample=$("$textgen" sample -m "$work/tool.tgm" --length 80 --seed 1) || die "the installed tool could not sample."
[ -n "$sample" ] || die "the installed tool's sample is empty."

# --- A program referencing the training package. ---
export NUGET_PACKAGES="$work/nuget-consumer" XDG_CACHE_HOME="$work/cache-consumer"
project="$work/Trainer"
mkdir -p "$project"
cat >"$project/nuget.config" <<EOF
<configuration><packageSources><clear /><add key="textgen" value="$packages" /><add key="restored" value="$restored" /></packageSources></configuration>
EOF
cat >"$project/Trainer.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup><PackageReference Include="TextGen.Training" Version="0.1.0" /></ItemGroup>
</Project>
EOF
cat >"$project/Program.cs" <<'EOF'
using TextGen.Generation;
using TextGen.Native;
using TextGen.Training;
TorchRuntime.EnsureLoaded();
var result = TrainingSession.Train(new TrainRequest { Corpora = [args[0]], OutputPath = args[1], Training = new() { MaxTime = TimeSpan.FromSeconds(20), Seed = 1 } });
Console.WriteLine(TextGenerator.Load(result.ModelPath).Generate("", new SamplingOptions { Length = 80, Seed = 1 }));
EOF
(cd "$project" && dotnet build -c Release -o out --nologo -v q "-clp:ErrorsOnly;NoSummary" >&2) || die "the program referencing TextGen.Training did not build."
consumer=$(dotnet "$project/out/Trainer.dll" "$repo/README.md" "$work/consumer.tgm" 2>"$work/consumer.err") \
  || die "the program referencing TextGen.Training could not train: $(tail -n 3 "$work/consumer.err")"
[ -s "$work/consumer.tgm" ] && [ -n "$consumer" ] || die "the program referencing TextGen.Training saved no model or sampled nothing."
say "passed: the installed tool and a program referencing TextGen.Training trained, saved and sampled with empty caches."
