# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # root, build, tool come from the caller; arrays are read there
# Sourced by bench/load.sh and bench/profile.sh: the shop (and bare_shop) started on a fresh
# database as the benchmarks need them, and the five endpoints' requests. The caller sets
# `root`, `build` (a build directory with the shop and bare_shop built) and `tool` (for
# messages). Servers are stopped and the scratch directory removed when the caller exits.

# What both scripts take from the environment (each documents them in its usage).
threads=${THREADS:-2}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
connections=${CONNECTIONS:-50}
endpoints=${ENDPOINTS:-product-list product-detail order-list order-create token-verify}

work=$(mktemp -d)
pids=()
declare -A server_pid server_url # by server name
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "$tool: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# One secret for both servers: the same tokens verify, the same cursor key signs `next`.
export SHOP_JWT_SECRET
SHOP_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export SHOP_THROTTLE_ANON=100000000/second SHOP_THROTTLE_USER=100000000/second
db="$work/shop.db"

# start_shop NAME THREADS: a shop on a free port; sets server_pid[NAME] and server_url[NAME].
# The command in the array shop_wrapper, if any, runs it (valgrind ...).
start_shop() {
    local name=$1 n=$2 port=
    SHOP_LISTEN=127.0.0.1:0 SHOP_DB="$db" SHOP_THREADS="$n" \
        SHOP_THROTTLE_LOGIN=100000000/second \
        ${shop_wrapper[@]+"${shop_wrapper[@]}"} "$build/examples/shop/shop" \
        >"$work/$name.out" 2>"$work/$name.log" &
    pids+=($!)
    server_pid[$name]=$!
    for _ in $(seq 600); do
        port=$(sed -n 's|^shop: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/$name.out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$work/$name.log" >&2; fail "$name did not start"; }
    server_url[$name]=http://127.0.0.1:$port
}

# stop NAME: stops a server started here (SIGTERM: the shop finishes and exits) and waits.
stop() {
    kill -TERM "${server_pid[$1]}" 2>/dev/null || true
    wait "${server_pid[$1]}" 2>/dev/null || true
}

# start_bare NAME THREADS MODE: bare_shop on a free port; sets server_pid[NAME], server_url[NAME].
start_bare() {
    local name=$1 n=$2 mode=$3 port
    port=$(free_port)
    BARE_LOG=$mode "$build/bench/shop/bare_shop" "$port" "$db" "$n" >"$work/$name.out" \
        2>"$work/$name.log" &
    pids+=($!)
    server_pid[$name]=$!
    server_url[$name]=http://127.0.0.1:$port
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/api/v1/products/1/" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$work/$name.log" >&2
    fail "$name did not start"
}

lua="$root/bench/wrk"
# path_of / script_of ENDPOINT: its path, and the wrk Lua script it needs (if any).
path_of() {
    case $1 in
    product-list) echo /api/v1/products/ ;;
    product-detail) echo /api/v1/products/3/ ;;
    order-list | order-create) echo /api/v1/orders/ ;;
    token-verify) echo /api/token/verify/ ;;
    *) fail "unknown endpoint $1" ;;
    esac
}
script_of() {
    case $1 in
    order-list) echo "$lua/get_auth.lua" ;;
    order-create | token-verify) echo "$lua/post_json.lua" ;;
    esac
}
# with_env ENDPOINT COMMAND...: runs COMMAND with what the endpoint's Lua script reads.
with_env() {
    local endpoint=$1
    shift
    case $endpoint in
    order-list) TOKEN=$token "$@" ;;
    order-create) TOKEN=$token BODY=$order_body "$@" ;;
    token-verify) TOKEN=$token BODY_TOKEN_FIELD=token "$@" ;;
    *) "$@" ;;
    esac
}

order_body='{"product_id": 3, "quantity": 1, "shipping_address": "1 Main St, Springfield"}'
# seed: stock that never runs out, an access token in `token` (alice), and more than a page
# of her orders, so the orders list signs a `next` cursor as well. Needs the shop "shop" running.
seed() {
    # Stock that never runs out during the run (the shop made and seeded the database).
    sqlite3 "$db" "PRAGMA busy_timeout=5000; UPDATE products SET stock = 1000000000;" >/dev/null

    token=$(curl -sf -X POST -H 'Content-Type: application/json' \
        -d '{"username": "alice", "password": "alice-pass-1234"}' \
        "${server_url[shop]}/api/token/" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])') ||
        fail "no token from the shop"
    for _ in $(seq 30); do
        curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
            -H "Authorization: Bearer $token" -d "$order_body" \
            "${server_url[shop]}/api/v1/orders/" ||
            fail "the shop refused an order"
    done
}

# to_ms VALUE: wrk's "1.23ms" / "812.00us" / "1.02s" as milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n }'
}
