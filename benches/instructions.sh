#!/usr/bin/env bash
# Instructions per operation of gocsp's hottest paths (a ping-pong round trip, a spawn +
# finish, a sieve hop, ...), counted by valgrind's cachegrind on one worker. Each workload runs
# at two sizes; the difference of the counts over the difference of the operations is what one
# operation costs, start-up and setup cancelled out. Exact on a noisy machine, and where the
# compiler's inlining on a hot path moved (ARCHITECTURE.md), it shows.
#
#   benches/instructions.sh                 # every workload
#   benches/instructions.sh pingpong spawn  # some
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
cargo build --quiet --release -p gocsp-benches --bin instructions
bin=target/release/instructions

# Sizes: large enough that the difference dwarfs the noise of start-up (thread start, the first
# stacks), small enough for valgrind (a few seconds each).
size() {
    case "$1" in
        sieve) echo 1000 ;;
        spawn | pingpong | unbuf4x4 | buf1 | select4 | select4-builder) echo 50000 ;;
        *) echo 100000 ;;
    esac
}

# Prints "instructions operations" for one run.
run() {
    local out
    out=$(GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$bin" "$1" "$2" 2>&1)
    local ir ops
    ir=$(awk '/I *refs:/ { gsub(",", "", $NF); print $NF }' <<<"$out")
    ops=$(awk '$1 == "ops" { print $2 }' <<<"$out")
    [ -n "$ir" ] && [ -n "$ops" ] || { echo "$out" >&2; echo "no count for $1 $2" >&2; exit 1; }
    echo "$ir $ops"
}

workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || mapfile -t workloads < <("$bin" --list | cut -f1)
printf '%-12s %14s  %s\n' workload instructions "per"
for w in "${workloads[@]}"; do
    n=$(size "$w")
    read -r ir1 ops1 < <(run "$w" "$n")
    read -r ir2 ops2 < <(run "$w" $((2 * n)))
    per=$(awk -v a="$ir1" -v b="$ir2" -v x="$ops1" -v y="$ops2" 'BEGIN { printf "%.1f", (b - a) / (y - x) }')
    op=$("$bin" --list | awk -F'\t' -v w="$w" '$1 == w { print $2 }')
    printf '%-12s %14s  %s\n' "$w" "$per" "$op"
done
