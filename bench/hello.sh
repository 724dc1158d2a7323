#!/usr/bin/env bash
# Serves examples/hello and bench/server/bare_beast_hello (Beast alone, same work) on free
# ports, loads each with wrk in the same run, checks that every response was right, and prints
# requests/s for both and their ratio. It also prints each server's CPU time per request (from
# /proc/PID/stat), which other load on a shared machine disturbs far less than requests/s.
#
# Usage: bench/hello.sh [build-dir]     env: THREADS (server threads, default 2),
#        ROUNDS (alternating rounds, default 2), DURATION (wrk -d, default 10s)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/bench-release}
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
duration=${DURATION:-10s}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_TESTS=OFF \
      -DRAMPART_BUILD_BENCH=ON -DRAMPART_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" --target hello bare_beast_hello >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Counts every response whose status or body is not the expected hello, across wrk threads.
cat >"$work/check.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; good = 0 end
function response(status, headers, body)
    if status == 200 and body == "Hello, world!\n" then good = good + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
    local g, b = 0, 0
    for _, t in ipairs(threads) do g = g + t:get("good"); b = b + t:get("bad") end
    io.write(string.format("checked: good=%d bad=%d\n", g, b))
end
LUA

# start NAME BINARY: starts the server on a free port, waits until it answers correctly.
start() {
    local name=$1 binary=$2 port
    port=$(free_port)
    "$binary" "$port" "$threads" >"$work/$name.log" 2>&1 &
    pids+=($!)
    eval "${name}_pid=$!"
    eval "${name}_port=$port"
    for _ in $(seq 100); do
        if [ "$(curl -s "http://127.0.0.1:$port/" 2>/dev/null)" = "Hello, world!" ]; then return 0; fi
        sleep 0.1
    done
    echo "hello.sh: $name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick=$(getconf CLK_TCK)

# load NAME: runs wrk against the server, fails unless every response was right; prints
# "req/s cpu-microseconds-per-request".
load() {
    local name=$1 port pid out before after requests
    port=$(eval echo "\$${name}_port")
    pid=$(eval echo "\$${name}_pid")
    before=$(cpu_ticks "$pid")
    out=$(wrk -t2 -c50 -d"$duration" -s "$work/check.lua" "http://127.0.0.1:$port/")
    after=$(cpu_ticks "$pid")
    echo "$out" >"$work/$name.wrk"
    if echo "$out" | grep -qE 'Non-2xx or 3xx responses|Socket errors'; then
        echo "hello.sh: $name: wrk saw errors:" >&2; echo "$out" >&2; exit 1
    fi
    local bad good
    bad=$(echo "$out" | sed -n 's/^checked: good=\([0-9]*\) bad=\([0-9]*\)$/\2/p')
    good=$(echo "$out" | sed -n 's/^checked: good=\([0-9]*\) bad=\([0-9]*\)$/\1/p')
    if [ "$bad" != "0" ] || [ "${good:-0}" -eq 0 ]; then
        echo "hello.sh: $name: $bad wrong responses" >&2; echo "$out" >&2; exit 1
    fi
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')" \
        "$(echo "($after - $before) * 1000000 / $tick / $requests" | bc -l)"
}

start bare "$build/bench/server/bare_beast_hello"
start hello "$build/examples/hello/hello"

echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "servers: $threads threads each; load: wrk -t2 -c50 -d$duration, every response checked"
total_bare=0 total_hello=0 cpu_bare=0 cpu_hello=0
for round in $(seq "$rounds"); do
    read -r bare_rps bare_cpu <<<"$(load bare)"
    read -r hello_rps hello_cpu <<<"$(load hello)"
    total_bare=$(echo "$total_bare + $bare_rps" | bc -l)
    total_hello=$(echo "$total_hello + $hello_rps" | bc -l)
    cpu_bare=$(echo "$cpu_bare + $bare_cpu" | bc -l)
    cpu_hello=$(echo "$cpu_hello + $hello_cpu" | bc -l)
    printf 'round %d: bare_beast_hello %s req/s (%.1f us cpu/req), hello %s req/s (%.1f us cpu/req), ratio %.3f\n' \
        "$round" "$bare_rps" "$bare_cpu" "$hello_rps" "$hello_cpu" "$(echo "$hello_rps / $bare_rps" | bc -l)"
done
printf 'mean: bare_beast_hello %.0f req/s, hello %.0f req/s, ratio hello/bare %.3f\n' \
    "$(echo "$total_bare / $rounds" | bc -l)" "$(echo "$total_hello / $rounds" | bc -l)" \
    "$(echo "$total_hello / $total_bare" | bc -l)"
printf 'cpu per request: bare_beast_hello %.2f us, hello %.2f us, ratio hello/bare %.3f\n' \
    "$(echo "$cpu_bare / $rounds" | bc -l)" "$(echo "$cpu_hello / $rounds" | bc -l)" \
    "$(echo "$cpu_hello / $cpu_bare" | bc -l)"

# Graceful shutdown: SIGTERM makes hello exit 0.
kill -TERM "$hello_pid"
status=0
wait "$hello_pid" || status=$?
if [ "$status" -ne 0 ]; then echo "hello.sh: hello exited $status on SIGTERM" >&2; exit 1; fi
echo "hello: exited 0 on SIGTERM"
