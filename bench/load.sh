#!/usr/bin/env bash
# Loads examples/shop and bench/shop/bare_shop (Beast + SQLite + OpenSSL alone, doing the same
# work: see the top of bare_shop.cpp) endpoint by endpoint with wrk, alternating bare / shop for
# ROUNDS rounds, and prints for each run requests/s, p50, p99, server CPU time per request (from
# /proc/PID/stat: other load on a shared machine disturbs it far less than requests/s) and write
# system calls per request, then per endpoint the shop / bare ratios against the goals of issue
# 13, and a scale row: the shop at SHOP_THREADS=1 and =2 on the product list, requests/s per core.
#
# Before any load, both servers answer each endpoint and the answers are compared byte for byte
# (status line, every header, body), except the values that must differ: Date, X-Request-ID,
# the port, the RateLimit counters, and a created order's id, created_at and Location. Any difference, any
# non-2xx answer or socket error under load, fails the run.
#
# The shop runs as it ships (access log on stderr, throttles, authentication, the production
# password cost); only the throttle rates are set out of reach and stock raised, so that every
# request is a success. Both write their access log to a file.
#
# Usage: bench/load.sh [build-dir]   (default build/bench-load, configured Release if new)
#   THREADS      server threads (default 2)          DURATION  wrk -d per run (default 10s)
#   WARMUP       wrk -d before each run (default 2s; 0 for none)
#   CONNECTIONS  wrk -c (default 50)                 ROUNDS    alternating rounds (default 2)
#   ENDPOINTS    which of product-list product-detail order-list order-create token-verify
#                (default all)
#   SCALE        1 (default) adds the SHOP_THREADS=1 vs 2 row; 0 skips it
#   BARE_LOG     auto (default), line or buffered: how bare_shop writes its access log. auto
#                traces the shop's writes to stderr for a moment (strace) and picks line when
#                the shop writes about once per request, buffered when it batches.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/bench-load}
rounds=${ROUNDS:-2}
scale=${SCALE:-1}
bare_log=${BARE_LOG:-auto}

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_TESTS=OFF \
        -DRAMPART_BUILD_BENCH=ON -DRAMPART_BUILD_EXAMPLES=ON >/dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
cmake --build "$build" --target shop bare_shop >/dev/null

tool=load.sh
# shellcheck source=bench/shop/harness.sh
source "$root/bench/shop/harness.sh"
start_shop shop "$threads"
seed

# How bare_shop writes its log: as the shop does. strace counts the shop's writes to stderr
# over a short load; about one per request is a line per write, far fewer is a batching log.
if [ "$bare_log" = auto ]; then
    bare_log=line
    if command -v strace >/dev/null; then
        strace -f -qq -e trace=write,writev -e signal=none -o "$work/strace" \
            -p "${server_pid[shop]}" &
        tracer=$!
        sleep 0.5
        wrk -t1 -c4 -d1s "${server_url[shop]}/api/v1/products/" >"$work/calibrate.wrk" 2>&1 || true
        sleep 0.2
        kill -INT "$tracer" 2>/dev/null || true
        wait "$tracer" 2>/dev/null || true
        calls=$(grep -cE '(write|writev)\(2,' "$work/strace" || true)
        requests=$(awk '/requests in/ {print $1}' "$work/calibrate.wrk")
        if [ -n "$requests" ] && [ "${requests:-0}" -gt 0 ]; then
            per=$(awk -v c="$calls" -v n="$requests" 'BEGIN { printf "%.2f", c / n }')
            awk -v p="$per" 'BEGIN { exit !(p < 0.5) }' && bare_log=buffered
            echo "load.sh: the shop made $per writes to stderr per request: bare_shop logs '$bare_log'"
        else
            echo "load.sh: could not trace the shop's log writes: bare_shop logs 'line'"
        fi
    fi
fi
start_bare bare "$threads" "$bare_log"

# ---- Same answers, byte for byte, before any load --------------------------------------------
# fetch URL ENDPOINT: the raw answer with the values that must differ masked.
fetch() {
    local url=$1 endpoint=$2 args=()
    case $endpoint in
    order-list) args=(-H "Authorization: Bearer $token") ;;
    order-create) args=(-X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token"
        -d "$order_body") ;;
    token-verify) args=(-X POST -H 'Content-Type: application/json' -d "{\"token\": \"$token\"}") ;;
    esac
    curl -s -i "${args[@]}" "$url$(path_of "$endpoint")" |
        sed -E -e 's/^(Date: ).*/\1<date>/' -e 's/^(X-Request-ID: ).*/\1<id>/I' \
            -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:<port>/g' \
            -e 's/(RateLimit: .*;r=)[0-9]+;t=[0-9]+/\1<r>;t=<t>/' |
        if [ "$endpoint" = order-create ]; then
            sed -E -e 's#(orders/)[0-9]+/#\1<id>/#' -e 's/"id":[0-9]+/"id":<id>/' \
                -e 's/"created_at":"[^"]*"/"created_at":<time>/' \
                -e 's/^(Content-Length: ).*/\1<length>/'
        else
            cat
        fi
}
for endpoint in $endpoints; do
    fetch "${server_url[shop]}" "$endpoint" >"$work/$endpoint.shop.txt"
    fetch "${server_url[bare]}" "$endpoint" >"$work/$endpoint.bare.txt"
    head -1 "$work/$endpoint.shop.txt" | grep -qE '^HTTP/1.1 20[01] ' ||
        { cat "$work/$endpoint.shop.txt" >&2; fail "$endpoint: the shop did not succeed"; }
    if ! cmp -s "$work/$endpoint.shop.txt" "$work/$endpoint.bare.txt"; then
        diff "$work/$endpoint.shop.txt" "$work/$endpoint.bare.txt" >&2 || true
        fail "$endpoint: shop and bare_shop answer differently (fix bench/shop/bare_shop.cpp)"
    fi
done
echo "load.sh: shop and bare_shop give the same answers on: $endpoints"

# ---- Load ---------------------------------------------------------------------------------------
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
write_calls() { awk '/^syscw:/ {print $2}' "/proc/$1/io"; }
tick=$(getconf CLK_TCK)

printf '%-15s %-7s %5s %11s %8s %8s %11s %10s\n' endpoint server round "requests/s" "p50 ms" \
    "p99 ms" "CPU us/req" "writes/req"
# run ENDPOINT SERVER ROUND PID URL: one wrk run (after the warm-up); appends
# "endpoint server rps p50 p99 cpu" to $work/results.
run() {
    local endpoint=$1 server=$2 round=$3 pid=$4 url=$5
    local path script out before after wbefore wafter
    path=$(path_of "$endpoint")
    script=$(script_of "$endpoint")
    local opts=(-t2 -c"$connections" --latency)
    [ -n "$script" ] && opts+=(-s "$script")
    if [ "$warmup" != 0 ]; then
        with_env "$endpoint" wrk "${opts[@]}" -d"$warmup" "$url$path" >/dev/null
    fi
    before=$(cpu_ticks "$pid")
    wbefore=$(write_calls "$pid")
    out=$(with_env "$endpoint" wrk "${opts[@]}" -d"$duration" "$url$path")
    after=$(cpu_ticks "$pid")
    wafter=$(write_calls "$pid")
    echo "$out" >"$work/$endpoint.$server.$round.wrk"
    if echo "$out" | grep -qE 'Non-2xx or 3xx responses|Socket errors'; then
        echo "$out" >&2
        fail "$endpoint on $server: wrk saw errors"
    fi
    local rps p50 p99 requests cpu writes
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
    p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    [ "${requests:-0}" -gt 0 ] || fail "$endpoint on $server: no requests completed"
    cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$tick" \
        'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    writes=$(awk -v w=$((wafter - wbefore)) -v n="$requests" 'BEGIN { printf "%.2f", w / n }')
    printf '%-15s %-7s %5s %11s %8s %8s %11s %10s\n' "$endpoint" "$server" "$round" "$rps" "$p50" \
        "$p99" "$cpu" "$writes"
    echo "$endpoint $server $rps $p50 $p99 $cpu" >>"$work/results"
}

for endpoint in $endpoints; do
    for round in $(seq "$rounds"); do
        run "$endpoint" bare "$round" "${server_pid[bare]}" "${server_url[bare]}"
        run "$endpoint" shop "$round" "${server_pid[shop]}" "${server_url[shop]}"
    done
done

# ---- Scale: the shop on one thread, then on two, on the product list ---------------------------
if [ "$scale" = 1 ]; then
    stop bare # idle, but its memory is freed
    start_shop shop1 1
    start_shop shop2 2
    for round in $(seq "$rounds"); do
        run product-list shop-t1 "$round" "${server_pid[shop1]}" "${server_url[shop1]}"
        run product-list shop-t2 "$round" "${server_pid[shop2]}" "${server_url[shop2]}"
    done
fi

# ---- Summary ------------------------------------------------------------------------------------
echo
echo "load.sh: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
    "$build_type build; server threads $threads; wrk -t2 -c$connections -d$duration after" \
    "$warmup warm-up; $rounds rounds, alternating; bare_shop log: $bare_log"
awk -v endpoints="$endpoints" -v scale="$scale" '
    { n[$1 " " $2]++; rps[$1 " " $2] += $3; p99[$1 " " $2] += $5; cpu[$1 " " $2] += $6 }
    END {
        goal["product-list"] = 0.80; goal["product-detail"] = 0.80; goal["order-list"] = 0.75
        goal["order-create"] = 0.75; goal["token-verify"] = 0.85
        printf "%-15s %10s %10s %7s %6s %5s %11s %11s %9s %8s %8s\n", "endpoint", "shop r/s",
            "bare r/s", "ratio", "goal", "", "shop us/req", "bare us/req", "CPU ratio",
            "shop p99", "bare p99"
        split(endpoints, list, " ")
        for (i = 1; i in list; i++) {
            e = list[i]; s = e " shop"; b = e " bare"
            if (!(s in n) || !(b in n)) continue
            ratio = rps[s] / rps[b]
            printf "%-15s %10.0f %10.0f %6.2fx %5.2fx %5s %11.1f %11.1f %8.2fx %8.2f %8.2f\n", e,
                rps[s] / n[s], rps[b] / n[b], ratio, goal[e], (ratio >= goal[e] ? "met" : "BELOW"),
                cpu[s] / n[s], cpu[b] / n[b], cpu[s] / cpu[b], p99[s] / n[s], p99[b] / n[b]
        }
        if (scale == 1 && ("product-list shop-t1" in n)) {
            one = "product-list shop-t1"; two = "product-list shop-t2"
            printf "scale (product list): SHOP_THREADS=1 %.0f req/s (%.0f per core, %.1f us CPU/req), " \
                   "SHOP_THREADS=2 %.0f req/s (%.0f per core, %.1f us CPU/req), 2 threads / 1: %.2fx\n",
                rps[one] / n[one], rps[one] / n[one], cpu[one] / n[one],
                rps[two] / n[two], rps[two] / n[two] / 2, cpu[two] / n[two], rps[two] / rps[one]
        }
    }' "$work/results"
echo "(ratio: shop / bare requests/s, higher is better; CPU ratio: shop / bare CPU time per request," \
    "lower is better; p99 in ms; wrk shares the machine's cores with the server)"
