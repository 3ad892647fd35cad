#!/usr/bin/env bash
# The one prepared run for a machine with many cores (what two cores cannot show): the
# parallel suite at 1, 2, 4, 8 and 16 workers against Go at the same GOMAXPROCS, the
# goroutine-to-goroutine rows whose goals must hold however many workers there are, and the
# echo server at 100 and 10,000 connections against Go and tokio. About 7 minutes on 16 cores
# once built. Everything lands in OUT (default: benches/results/many-cores).
#
#   benches/many-cores.sh [OUT]
#   ROUNDS=1 SECS=1 benches/many-cores.sh /tmp/try   # a quick check of the script itself
#
# Needs Go (`apt-get install golang-go`) and a Rust toolchain; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benches/results/many-cores}
rounds=${ROUNDS:-5}
secs=${SECS:-3}
mkdir -p "$out"
# 10,000 connections need 10,000 descriptors in the tokio server too.
ulimit -n 65536 2>/dev/null || true

command -v go >/dev/null || {
    echo "many-cores.sh: needs Go on PATH (apt-get install golang-go)" >&2
    exit 1
}

{
    echo "cores: $(nproc)"
    lscpu | grep -E '^(Model name|Thread|Core|Socket|NUMA node\(s\))' || true
    echo "kernel: $(uname -r)"
    date -u
} >"$out/machine.txt"

cargo build --release -p gocsp-benches --bins

# Worker counts: 1 and 2, then 4, 8 and 16 where the machine has the cores (compare's default).
./target/release/compare --parallel --rounds "$rounds" --out "$out" | tee "$out/parallel.log"
./target/release/compare --only pingpong,unbuf4x4,select4,sieve --rounds "$(((rounds + 1) / 2))" \
    --out "$out" | tee "$out/channels.log"
./target/release/netbench --conns 100,10000 --secs "$secs" --rounds "$(((rounds + 1) / 2))" \
    | tee "$out/net.md"
echo "many-cores.sh: results in $out"
