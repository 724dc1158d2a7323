#!/usr/bin/env bash
# HTTPS beside HTTP in the same run: examples/hello serves both at once (one server, a plain and
# a TLS listener, a certificate made here with openssl), and the script alternates
#   - wrk on keep-alive connections, http:// then https:// (the cost of encryption per request;
#     every response checked, as bench/hello.sh does);
#   - openssl s_time, a new connection per page: full handshakes (-new) then resumed ones
#     (-reuse: session resumption, which the server has on), the cost of a handshake.
# It prints each figure per round, the means and the ratios https/http and resumed/full.
#
# Usage: bench/tls.sh [build-dir]     env: THREADS (server threads, default 2), ROUNDS (default
#        2), DURATION (seconds per measurement, default 10), CONNECTIONS (wrk -c, default 50)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/bench-release}
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
duration=${DURATION:-10}
connections=${CONNECTIONS:-50}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_TESTS=OFF \
      -DRAMPART_BUILD_BENCH=ON -DRAMPART_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" --target hello >/dev/null

work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A P-256 certificate for 127.0.0.1, valid a day: what a small production setup would serve.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

http_port=$(free_port)
tls_port=$(free_port)
TLS_PORT=$tls_port TLS_CERT=$work/cert.pem TLS_KEY=$work/key.pem \
    "$build/examples/hello/hello" "$http_port" "$threads" >"$work/hello.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    if [ "$(curl -s --cacert "$work/cert.pem" "https://127.0.0.1:$tls_port/" 2>/dev/null)" = "Hello, world!" ] &&
       [ "$(curl -s "http://127.0.0.1:$http_port/" 2>/dev/null)" = "Hello, world!" ]; then
        break
    fi
    sleep 0.1
done
curl -sf --cacert "$work/cert.pem" "https://127.0.0.1:$tls_port/" >/dev/null ||
    { echo "tls.sh: hello did not start" >&2; cat "$work/hello.log" >&2; exit 1; }

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

# wrk URL: requests/s on keep-alive connections; fails unless every response was right.
load() {
    local out bad good
    out=$(wrk -t2 -c"$connections" -d"${duration}s" -s "$work/check.lua" "$1")
    if echo "$out" | grep -qE 'Non-2xx or 3xx responses|Socket errors'; then
        echo "tls.sh: $1: wrk saw errors:" >&2; echo "$out" >&2; exit 1
    fi
    bad=$(echo "$out" | sed -n 's/^checked: good=\([0-9]*\) bad=\([0-9]*\)$/\2/p')
    good=$(echo "$out" | sed -n 's/^checked: good=\([0-9]*\) bad=\([0-9]*\)$/\1/p')
    if [ "$bad" != "0" ] || [ "${good:-0}" -eq 0 ]; then
        echo "tls.sh: $1: $bad wrong responses" >&2; echo "$out" >&2; exit 1
    fi
    echo "$out" | awk '/^Requests\/sec:/ {print $2}'
}

# handshakes -new|-reuse: connections/s, each a TLS handshake and a GET of / (one client).
handshakes() {
    local out
    out=$(openssl s_time -connect "127.0.0.1:$tls_port" -CAfile "$work/cert.pem" "$1" \
          -time "$duration" -www / 2>&1)
    echo "$out" | awk '/connections in .* real seconds/ {print $1 / $4; found=1} END {if (!found) exit 1}' ||
        { echo "tls.sh: openssl s_time $1 failed:" >&2; echo "$out" >&2; exit 1; }
}

echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "hello: $threads threads, http on $http_port and https on $tls_port in one server"
echo "load: wrk -t2 -c$connections -d${duration}s keep-alive (responses checked); openssl s_time -time $duration -www / (one connection per page)"
sum_http=0 sum_https=0 sum_new=0 sum_reuse=0
for round in $(seq "$rounds"); do
    http_rps=$(load "http://127.0.0.1:$http_port/")
    https_rps=$(load "https://127.0.0.1:$tls_port/")
    new_cps=$(handshakes -new)
    reuse_cps=$(handshakes -reuse)
    sum_http=$(echo "$sum_http + $http_rps" | bc -l)
    sum_https=$(echo "$sum_https + $https_rps" | bc -l)
    sum_new=$(echo "$sum_new + $new_cps" | bc -l)
    sum_reuse=$(echo "$sum_reuse + $reuse_cps" | bc -l)
    printf 'round %d: http %s req/s, https %s req/s (ratio %.3f); handshakes: full %.0f/s, resumed %.0f/s\n' \
        "$round" "$http_rps" "$https_rps" "$(echo "$https_rps / $http_rps" | bc -l)" "$new_cps" "$reuse_cps"
done
printf 'mean: http %.0f req/s, https %.0f req/s, ratio https/http %.3f\n' \
    "$(echo "$sum_http / $rounds" | bc -l)" "$(echo "$sum_https / $rounds" | bc -l)" \
    "$(echo "$sum_https / $sum_http" | bc -l)"
printf 'mean: new connection + GET: full handshake %.0f/s, resumed %.0f/s, ratio resumed/full %.3f\n' \
    "$(echo "$sum_new / $rounds" | bc -l)" "$(echo "$sum_reuse / $rounds" | bc -l)" \
    "$(echo "$sum_reuse / $sum_new" | bc -l)"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
if [ "$status" -ne 0 ]; then echo "tls.sh: hello exited $status on SIGTERM" >&2; exit 1; fi
echo "hello: exited 0 on SIGTERM"
