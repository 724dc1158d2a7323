#!/bin/sh
# Redis throttle decisions/s through rampart's client beside redis-benchmark running the same
# EVALSHA script against the same redis-server, in the same run. Usage: bench/redis.sh [build dir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_BENCH=ON \
      -DRAMPART_BUILD_TESTS=OFF -DRAMPART_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target bench_redis -j2
out=$(mktemp)
"$build/bench/redis/bench_redis" --benchmark_format=json --benchmark_out="$out" \
    --benchmark_out_format=json >/dev/null
python3 - "$out" <<'PY'
import json, sys
runs = {b["name"].split("/")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
base = runs["BM_redis_benchmark_evalsha"]["decisions_per_s"]
ours = runs["BM_rampart_bucket_store"]["decisions_per_s"]
print(f"redis-benchmark EVALSHA: {base:,.0f} decisions/s")
print(f"rampart bucket_store:    {ours:,.0f} decisions/s")
print(f"ratio: {ours / base:.2f}")
PY
rm -f "$out"
