#!/usr/bin/env bash
# Loads examples/shop with wrk, endpoint by endpoint, and bench/shop/bare_shop (Beast alone
# serving the same first product page from the same SQLite query) in the same run. Throttles
# are set out of reach and stock is raised so every request is a success; any non-2xx response
# or socket error fails the run. Prints requests/s, p50 and p99 per endpoint and the ratio
# shop / bare for the product list, in requests/s and in server CPU time per request (from
# /proc/PID/stat; other load on a shared machine disturbs it far less than requests/s). The
# product-list pair runs ROUNDS times, alternating.
#
# Usage: bench/load.sh [build-dir]   env: THREADS (server threads, default 2),
#        DURATION (wrk -d, default 10s), CONNECTIONS (wrk -c, default 50), ROUNDS (default 2)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/bench-load}
threads=${THREADS:-2}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-50}
rounds=${ROUNDS:-2}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_TESTS=OFF \
      -DRAMPART_BUILD_BENCH=ON -DRAMPART_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" --target shop bare_shop >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The shop: a fresh database, throttles out of reach, the default (production) password cost.
db="$work/shop.db"
SHOP_LISTEN=127.0.0.1:0 SHOP_DB="$db" SHOP_THREADS="$threads" \
    SHOP_THROTTLE_ANON=100000000/second SHOP_THROTTLE_USER=100000000/second \
    SHOP_THROTTLE_LOGIN=100000000/second \
    "$build/examples/shop/shop" >"$work/shop.log" 2>"$work/shop.err" &
pids+=($!)
shop_pid=$!
shop_port=
for _ in $(seq 300); do
    shop_port=$(sed -n 's|^shop: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/shop.log")
    [ -n "$shop_port" ] && break
    sleep 0.1
done
[ -n "$shop_port" ] || { echo "load.sh: the shop did not start" >&2; cat "$work/shop.err" >&2; exit 1; }
shop="http://127.0.0.1:$shop_port"

# Stock high enough that order creation never runs out during the run.
sqlite3 "$db" "PRAGMA busy_timeout=5000; UPDATE products SET stock = 1000000000;" >/dev/null

bare_port=$(free_port)
"$build/bench/shop/bare_shop" "$bare_port" "$db" "$threads" >"$work/bare.log" 2>&1 &
pids+=($!)
bare_pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$bare_port/api/v1/products/" >/dev/null 2>&1 && break
    sleep 0.1
done
bare="http://127.0.0.1:$bare_port"

# Both serve the same first page.
shop_page=$(curl -sf "$shop/api/v1/products/" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["results"]))')
bare_page=$(curl -sf "$bare/api/v1/products/" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["results"]))')
[ "$shop_page" = "$bare_page" ] || { echo "load.sh: shop and bare_shop disagree on the page" >&2; exit 1; }

token=$(curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"username": "alice", "password": "alice-pass-1234"}' "$shop/api/token/" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])')
curl -sf -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d '{"product_id": 3, "quantity": 1, "shipping_address": "1 Main St"}' "$shop/api/v1/orders/" >/dev/null

# to_ms VALUE: wrk's "1.23ms" / "812.00us" / "1.02s" as milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n }'
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick=$(getconf CLK_TCK)

results=()
# run NAME PID URL [wrk args...]: loads one endpoint of the server PID; fails on any non-2xx or
# socket error.
run() {
    local name=$1 pid=$2 url=$3
    shift 3
    local out before after
    before=$(cpu_ticks "$pid")
    out=$(wrk -t2 -c"$connections" -d"$duration" --latency "$@" "$url")
    after=$(cpu_ticks "$pid")
    echo "$out" >"$work/$name.wrk"
    if echo "$out" | grep -qE 'Non-2xx or 3xx responses|Socket errors'; then
        echo "load.sh: $name: wrk saw errors:" >&2; echo "$out" >&2; exit 1
    fi
    local rps p50 p99 requests cpu
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
    p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$tick" \
        'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    results+=("$name $rps $p50 $p99 $cpu")
    last_rps=$rps
    last_cpu=$cpu
}

lua="$root/bench/wrk"
ratios=()
for round in $(seq "$rounds"); do
    run bare-product-list "$bare_pid" "$bare/api/v1/products/"
    bare_rps=$last_rps bare_cpu=$last_cpu
    run product-list "$shop_pid" "$shop/api/v1/products/"
    ratios+=("$(awk -v a="$last_rps" -v b="$bare_rps" -v c="$last_cpu" -v d="$bare_cpu" \
        'BEGIN { printf "%.2f %.2f", a / b, c / d }')")
done
run product-detail "$shop_pid" "$shop/api/v1/products/3/"
TOKEN=$token run order-list "$shop_pid" "$shop/api/v1/orders/" -s "$lua/get_auth.lua"
TOKEN=$token BODY='{"product_id": 3, "quantity": 1, "shipping_address": "1 Main St, Springfield"}' \
    run order-create "$shop_pid" "$shop/api/v1/orders/" -s "$lua/post_json.lua"
TOKEN=$token BODY_TOKEN_FIELD=token run token-verify "$shop_pid" "$shop/api/token/verify/" \
    -s "$lua/post_json.lua"

echo "load.sh: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "server threads $threads, wrk -t2 -c$connections -d$duration"
printf '%-20s %12s %10s %10s %14s\n' endpoint "requests/s" "p50 ms" "p99 ms" "CPU us/req"
for line in "${results[@]}"; do
    # shellcheck disable=SC2086
    printf '%-20s %12s %10s %10s %14s\n' $line
done
for i in "${!ratios[@]}"; do
    # shellcheck disable=SC2086
    set -- ${ratios[$i]}
    echo "product list, shop / bare, round $((i + 1)): requests/s $1, CPU per request $2"
done
