#!/usr/bin/env bash
# Profiles examples/shop endpoint by endpoint under wrk and writes a short summary of each:
# where the CPU time goes by object (kernel, libc, SQLite, OpenSSL, the shop), the top functions
# by self time, and the top functions with their callees. The shop runs as bench/load.sh runs
# it (as it ships, throttles out of reach, a fresh database, a page and more of orders).
#
# With perf (Debian's linux-perf): `perf record -g` on the running shop for DURATION while wrk
# loads one endpoint (after a WARMUP), hardware cycles when the machine lets perf count them,
# else the software clock. Where perf cannot record at all (a container without
# perf_event_open), valgrind's callgrind instead: the shop runs under it with instrumentation
# off, switched on for CALLGRIND_DURATION of a light load (2 connections) per endpoint, one
# dump per endpoint; callgrind counts instructions, not time, and shows no kernel.
#
# Usage: bench/profile.sh [build-dir]   (default build/bench-profile: Release with -g and frame
#        pointers, configured if new; call chains need the frame pointers)
#   THREADS (default 2)  DURATION (default 10s)  WARMUP (default 2s)  CONNECTIONS (default 50)
#   ENDPOINTS (default: the five of bench/load.sh)  TOP (lines per list, default 15)
#   TOOL auto (default), perf or callgrind          CALLGRIND_DURATION (default 10s)
#   OUT  where the summaries and raw profiles go (default <build-dir>/profile)
#   SERVERS  "shop" (default), or "shop bare" to profile bench/shop/bare_shop the same way after
#            the shop on each endpoint (perf only): the floor the shop is measured against
# Prints every summary; OUT keeps <endpoint>.txt and the raw data (perf report -i ..., or
# callgrind_annotate / kcachegrind on the callgrind files) for a closer look.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/bench-profile}
top=${TOP:-15}
tool_choice=${TOOL:-auto}
callgrind_duration=${CALLGRIND_DURATION:-10s}
out=${OUT:-$build/profile}
servers=${SERVERS:-shop}

if ! command -v perf >/dev/null || ! command -v valgrind >/dev/null; then
    "$root/cmake/dev.sh" deps # linux-perf and valgrind are among the bench packages
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        "-DCMAKE_CXX_FLAGS=-g -fno-omit-frame-pointer" -DRAMPART_BUILD_TESTS=OFF \
        -DRAMPART_BUILD_BENCH=ON -DRAMPART_BUILD_EXAMPLES=ON >/dev/null
fi
targets=(shop)
[[ " $servers " != *" bare "* ]] || targets+=(bare_shop)
cmake --build "$build" --target "${targets[@]}" >/dev/null
mkdir -p "$out"

tool=profile.sh
# shellcheck source=bench/shop/harness.sh
source "$root/bench/shop/harness.sh"

# Which profiler, and for perf which event: cycles where the machine counts them, else the
# software clock.
perf_event=()
if [ "$tool_choice" = auto ] || [ "$tool_choice" = perf ]; then
    if perf record -q -g -o "$work/probe.data" -- true >/dev/null 2>&1; then
        tool_choice=perf
    elif perf record -q -g -e cpu-clock -o "$work/probe.data" -- true >/dev/null 2>&1; then
        tool_choice=perf
        perf_event=(-e cpu-clock)
    elif [ "$tool_choice" = perf ]; then
        fail "perf cannot record here (perf_event_paranoid, or no perf_event_open in a container)"
    else
        tool_choice=callgrind
    fi
fi
[ "$tool_choice" = callgrind ] || [ "$tool_choice" = perf ] ||
    fail "TOOL is auto, perf or callgrind"

start_shop shop "$threads"
seed

# wrk_load ENDPOINT URL SECONDS CONNECTIONS [WRK OPTIONS]: loads one endpoint; fails on any
# non-2xx answer or socket error.
wrk_load() {
    local endpoint=$1 url=$2 seconds=$3 conns=$4 script result
    shift 4
    script=$(script_of "$endpoint")
    local opts=(-t2 -c"$conns" -d"$seconds" "$@")
    [ -n "$script" ] && opts+=(-s "$script")
    result=$(with_env "$endpoint" wrk "${opts[@]}" "$url$(path_of "$endpoint")")
    if echo "$result" | grep -qE 'Non-2xx or 3xx responses|Socket errors'; then
        echo "$result" >&2
        fail "$endpoint: wrk saw errors"
    fi
    echo "$result" | awk '/^Requests\/sec:/ {print $2}'
}

# first: the first TOP lines, reading all of its input (head would stop the writer by SIGPIPE).
first() { awk -v n="$top" 'NR <= n'; }
# seconds_of DURATION: wrk's 10s / 2m as whole seconds.
seconds_of() {
    case $1 in
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
    esac
}
# Without the frames every request passes through: thread entry, Asio's scheduler, coroutine
# resumption, the server's run loop.
no_plumbing() {
    grep -v -E 'boost::asio::|boost_asio_handler|coroutine_handle|\] (0x)?0[0-9a-f]+$|'\
'\] std::thread::|'\
'\] std::__invoke|__libc_start|start_thread|\] clone|\] main$|\] \(anonymous namespace\)::serve|'\
'\] rampart::server<|\] main::\{lambda'
}
# Long C++ names cut to a readable width.
clip() { cut -c1-"${WIDTH:-180}"; }
report() {
    perf report -i "$1" --stdio --percent-limit 0.5 "${@:2}" 2>/dev/null | grep -vE '^(#|$)'
}

summary_header() {
    echo "== $1: $2 requests/s under load; server threads $threads; $(nproc) cores;" \
        "$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt") build; $3"
}

if [ "$tool_choice" = perf ]; then
    [[ " $servers " != *" bare "* ]] || start_bare bare "$threads" "${BARE_LOG:-line}"
    for endpoint in $endpoints; do
        for server in $servers; do
            # The shop's files are <endpoint>.*, bare_shop's <endpoint>.bare.*.
            name=$endpoint
            [ "$server" = shop ] || name=$endpoint.$server
            url=${server_url[$server]}
            [ "$warmup" = 0 ] || wrk_load "$endpoint" "$url" "$warmup" "$connections" >/dev/null
            data="$out/$name.perf.data"
            # perf attaches first and stops a second after the load: an idle server adds no
            # samples.
            perf record -q -g "${perf_event[@]+"${perf_event[@]}"}" -p "${server_pid[$server]}" \
                -o "$data" -- sleep "$(($(seconds_of "$duration") + 1))" 2>"$work/perf.err" &
            recorder=$!
            sleep 0.5
            rps=$(wrk_load "$endpoint" "$url" "$duration" "$connections")
            wait "$recorder" || { cat "$work/perf.err" >&2; fail "perf record failed"; }
            {
                summary_header "$endpoint ($server)" "$rps" \
                    "perf ${perf_event[*]:-cycles} -g, $duration, wrk -c$connections"
                echo "-- self time by object"
                report "$data" --no-children --sort dso -g none | first
                echo "-- top $top functions, self time"
                report "$data" --no-children --sort dso,sym -g none | first | clip
                echo "-- top $top functions with their callees (children; Asio's plumbing left out)"
                report "$data" --children --sort sym -g none | no_plumbing | first | clip
            } >"$out/$name.txt"
            cat "$out/$name.txt"
            echo
        done
    done
else
    # The database is made and seeded; the shop again, under callgrind, instrumenting nothing
    # until an endpoint's load starts.
    stop shop
    shop_wrapper=(valgrind --tool=callgrind --instr-atstart=no
        "--callgrind-out-file=$out/callgrind.out.%p")
    start_shop shop "$threads"
    pid=${server_pid[shop]}
    # dumps: this shop's callgrind dumps so far, "<time> <path>" each.
    dumps() { find "$out" -maxdepth 1 -name "callgrind.out.$pid.*" -printf '%T@ %p\n'; }
    # functions yes|no FILE: callgrind_annotate's function lines (inclusive or self), no total.
    functions() {
        callgrind_annotate --auto=no --inclusive="$1" "$2" 2>/dev/null | grep -E '^ *[0-9,]+ \(' |
            grep -v 'PROGRAM TOTALS'
    }
    for endpoint in $endpoints; do
        callgrind_control -i on "$pid" >/dev/null 2>&1
        callgrind_control -z "$pid" >/dev/null 2>&1
        rps=$(wrk_load "$endpoint" "${server_url[shop]}" "$callgrind_duration" 2 --timeout 60s)
        before=$(dumps | wc -l)
        callgrind_control -d "$endpoint" "$pid" >/dev/null 2>&1
        callgrind_control -i off "$pid" >/dev/null 2>&1
        for _ in $(seq 100); do
            [ "$(dumps | wc -l)" -gt "$before" ] && break
            sleep 0.1
        done
        dump=$(dumps | sort -n | tail -1 | cut -d' ' -f2)
        [ -n "$dump" ] || fail "$endpoint: callgrind wrote no dump"
        mv "$dump" "$out/$endpoint.callgrind"
        {
            summary_header "$endpoint" "$rps (under valgrind)" \
                "callgrind instructions, $callgrind_duration, wrk -c2"
            echo "-- self instructions by object"
            functions no "$out/$endpoint.callgrind" | awk '{
                    object = "(not named)"
                    if (match($0, /\[[^]]*\]$/)) object = substr($0, RSTART + 1, RLENGTH - 2)
                    sub(/.*\//, "", object); count = $1; gsub(",", "", count)
                    by[object] += count; total += count }
                END { for (o in by) printf "%6.2f%%  %s\n", 100 * by[o] / total, o }' |
                sort -rn | first
            echo "-- top $top functions, self instructions"
            functions no "$out/$endpoint.callgrind" | first | clip
            echo "-- top $top functions with their callees (inclusive; Asio's plumbing left out)"
            functions yes "$out/$endpoint.callgrind" | no_plumbing | first | clip
        } >"$out/$endpoint.txt"
        cat "$out/$endpoint.txt"
        echo
    done
fi
echo "profile.sh: summaries and raw profiles in $out"
