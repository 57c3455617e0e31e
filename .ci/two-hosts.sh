#!/usr/bin/env bash
# `mpirun textgen train` across two machines, simulated on this one: two network namespaces with addresses of their
# own, joined by a bridge, and mpirun starting a rank in each through an rsh agent instead of ssh, as a host file does
# (docs/distributed.md). The ranks then talk over TCP, and each "machine" tokenizes the corpus for itself. Called by
# .ci/run (as root, after ./test.sh built textgen); says in one line why it did not run where it cannot.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "two-hosts: $*" >&2; }
for tool in ip unshare mpirun; do
  command -v "$tool" >/dev/null || { say "NOT RUN (no $tool)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { say "NOT RUN (network namespaces need root)"; exit 0; }

subnet=10.231.77
bridge=tgbr77
teardown() {
  for i in 1 2; do ip netns del "textgen-h$i" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
}
teardown # what an interrupted run left
work=$(mktemp -d)
trap 'teardown; rm -rf "$work"' EXIT

ip link add "$bridge" type bridge
ip addr add "$subnet.1/24" dev "$bridge"
ip link set "$bridge" up
for i in 1 2; do
  ns="textgen-h$i"
  ip netns add "$ns"
  ip link add "tgv$i" type veth peer name "tgv${i}p"
  ip link set "tgv${i}p" netns "$ns"
  ip link set "tgv$i" master "$bridge"
  ip link set "tgv$i" up
  ip netns exec "$ns" ip addr add "$subnet.$((i + 1))/24" dev "tgv${i}p"
  ip netns exec "$ns" ip link set "tgv${i}p" up
  ip netns exec "$ns" ip link set lo up
done

# The rsh agent: "agent HOST COMMAND..." runs COMMAND in the namespace of HOST's address, under that host name, and
# leaves a mark that it did.
cat > "$work/agent" <<EOF
#!/usr/bin/env bash
host=\$1; shift
ns=textgen-h\$(( \${host##*.} - 1 ))
touch "$work/launched-\$ns"
exec ip netns exec "\$ns" unshare --uts bash -c "hostname \$ns; \$*"
EOF
chmod +x "$work/agent"
printf '%s slots=1\n' "$subnet.2" "$subnet.3" > "$work/hosts"
# A corpus no cache has seen: both machines tokenize it, at once, into the one cache they share here.
{ cat "$repo/README.md"; echo "two-hosts $(date +%s%N)"; } > "$work/corpus.txt"

say "mpirun -n 2 over TCP between two simulated machines:"
if ! timeout 300 mpirun --allow-run-as-root --hostfile "$work/hosts" --mca plm_rsh_agent "$work/agent" \
    --mca oob_tcp_if_include "$subnet.0/24" --mca btl_tcp_if_include "$subnet.0/24" -n 2 \
    "$repo/textgen" train "$work/corpus.txt" --epochs 3 --batch-size 8 --seq-length 32 --hidden 32 --layers 1 --sample-length 0 -o "$work/m.tgm" --json \
    > "$work/out.json" 2> "$work/err.txt"; then
  cat "$work/err.txt" >&2
  say "FAILED: mpirun across the two machines did not train"
  exit 1
fi
for i in 1 2; do
  [ -e "$work/launched-textgen-h$i" ] || { say "FAILED: mpirun started no rank on textgen-h$i (both ran here)"; exit 1; }
done
grep -q '"ranks":2' "$work/out.json" || { cat "$work/out.json" >&2; say "FAILED: the result does not count 2 ranks"; exit 1; }
[ -s "$work/m.tgm" ] || { say "FAILED: rank 0 saved no model"; exit 1; }
say "passed: one rank on each of two machines trained and saved one model ($(grep -o '"steps":[0-9]*' "$work/out.json"))."
