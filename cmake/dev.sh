#!/usr/bin/env bash
# rampart's one entry point for people and CI. Usage: cmake/dev.sh COMMAND [ARGS]
#   run        build and start the shop example on 127.0.0.1:8080 (SQLite, in-process state)
#   test       build and run every test (each Redis test starts its own redis-server)
#   sanitize   the same suite built by clang 16 with AddressSanitizer + UndefinedBehaviorSanitizer
#   tsan       the concurrency tests built with ThreadSanitizer
#   fuzz [S]   build the libFuzzer targets with clang and run each for S seconds (default 20)
#   fuzz-long [S]  the same, 600 s per target by default (RAMPART_FUZZ_TARGETS="server jwt")
#   bench [A]  the micro benchmarks (Google Benchmark, A passed to each), then bench/load.sh
#              (the shop vs bench/shop/bare_shop; DURATION, ROUNDS, ... as load.sh reads them);
#              RAMPART_BENCH=micro or =load runs only that half
#   deps       install what is missing (Debian packages, needs root; npm packages into build/npm)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${RAMPART_JOBS:-$(nproc)}

packages=(build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
          clang-16 libclang-rt-16-dev libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev catch2
          libhiredis-dev libre2-dev redis-server libsqlite3-dev sqlite3 libbenchmark-dev wrk
          python3 python3-jwt libcpp-jwt-dev libspdlog-dev curl openssl)
# Only for the test suites: the OpenAPI contract test (python3-jsonschema) and the Swagger UI
# browser test (chromium, python3-websocket), the metrics checks (prometheus: promtool and a real
# server scraping the shop); `run` does not need them.
test_packages=(python3-jsonschema chromium python3-websocket prometheus)
# Only for measuring: bench/load.sh traces the shop's log writes, bench/profile.sh profiles.
bench_packages=(linux-perf valgrind strace)

# deps [PACKAGE...]: installs what is missing of the packages above and the ones named.
deps() {
    local missing=()
    for p in "${packages[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "rampart: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# npm packages, installed into build/npm (never into git): swagger-ui-dist's assets for the
# shop's /api/docs/ page, and an OpenAPI 3.1 validator the tests check generated documents with.
npm_dir="$root/build/npm"
npm_packages=(swagger-ui-dist@5.35.0 @seriousme/openapi-schema-validator@2.11.0)

npm_deps() {
    command -v npm >/dev/null || deps nodejs npm
    local missing=()
    for p in "${npm_packages[@]}"; do
        [ -f "$npm_dir/node_modules/${p%@*}/package.json" ] || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    # All of them at once: an install without a package.json prunes what it was not given.
    echo "rampart: installing npm ${npm_packages[*]} into $npm_dir"
    mkdir -p "$npm_dir"
    SCARF_ANALYTICS=false npm install --prefix "$npm_dir" --no-save --no-audit --no-fund \
        --loglevel=error "${npm_packages[@]}" >/dev/null
}

# configure DIR [cmake args...]
configure() {
    local dir=$1
    shift
    cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
}

run_tests() {
    local dir=$1
    shift
    cmake --build "$dir" -j "$jobs"
    (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600 "$@")
}

cmd=${1:-help}
shift || true
case "$cmd" in
deps)
    deps "${test_packages[@]}" "${bench_packages[@]}"
    npm_deps
    ;;
run)
    deps
    npm_deps
    configure "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_TESTS=OFF \
        -DRAMPART_BUILD_BENCH=OFF
    if [ -d "$root/examples/shop" ]; then
        cmake --build "$root/build/release" -j "$jobs" --target shop
        exec "$root/build/release/examples/shop/shop" "$@"
    else
        cmake --build "$root/build/release" -j "$jobs" --target hello
        exec "$root/build/release/examples/hello/hello" "$@"
    fi
    ;;
test)
    deps "${test_packages[@]}"
    npm_deps
    configure "$root/build/test" -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_BENCH=OFF
    run_tests "$root/build/test" "$@"
    ;;
sanitize)
    # clang 16 builds this suite, g++ the test stage's: CI compiles everything with both.
    # UBSan's vptr check needs RTTI (on by default); no recovery, so any report fails the test.
    deps "${test_packages[@]}"
    npm_deps
    configure "$root/build/asan-clang" -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=Debug \
        -DRAMPART_BUILD_BENCH=OFF \
        "-DCMAKE_CXX_FLAGS=-O0 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_tests "$root/build/asan-clang" -LE no-sanitize "$@"
    ;;
tsan)
    # Only the binaries whose tests carry the Catch tag [concurrency] are built, and only those
    # test cases run: ThreadSanitizer is for the code that shares state between threads.
    deps
    configure "$root/build/tsan" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DRAMPART_BUILD_BENCH=OFF \
        -DRAMPART_BUILD_EXAMPLES=OFF "-DCMAKE_CXX_FLAGS=-O1 -fsanitize=thread"
    targets=()
    for dir in $(grep -rl '\[concurrency\]' "$root"/tests --include='*.cpp' | xargs -n1 dirname | sort -u); do
        targets+=($(sed -n 's/.*rampart_add_test(\([a-z_0-9]*\).*/\1/p' "$dir/CMakeLists.txt"))
    done
    [ ${#targets[@]} -gt 0 ] || { echo "rampart: no [concurrency] tests"; exit 0; }
    cmake --build "$root/build/tsan" -j "$jobs" --target "${targets[@]}"
    failed=0
    for t in "${targets[@]}"; do
        bin=$(find "$root/build/tsan/tests" -name "$t" -type f -executable | head -1)
        echo "rampart: $t [concurrency] under ThreadSanitizer"
        (cd "$root/build/tsan" && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/support/tsan.supp" \
            RAMPART_BINARY_DIR="$root/build/tsan" "$bin" "[concurrency]") || failed=1
    done
    exit $failed
    ;;
fuzz | fuzz-long)
    # fuzz [S]: every target for S seconds (default 20, or RAMPART_FUZZ_SECONDS): what CI runs.
    # fuzz-long [S]: the same for longer (default 600 s per target), for a run on demand.
    # RAMPART_FUZZ_TARGETS="server jwt" limits either to those targets. New inputs that reach
    # new code are kept in build/fuzz/corpus/<target>/ and reused by the next run. A target with
    # a dictionary in tests/fuzz/<target>.dict gets it with -dict=.
    deps
    default_seconds=20
    [ "$cmd" = fuzz-long ] && default_seconds=600
    seconds=${1:-${RAMPART_FUZZ_SECONDS:-$default_seconds}}
    configure "$root/build/fuzz" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
        -DRAMPART_BUILD_FUZZ=ON -DRAMPART_BUILD_TESTS=OFF -DRAMPART_BUILD_EXAMPLES=OFF \
        -DRAMPART_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS=-O1 -g"
    cmake --build "$root/build/fuzz" -j "$jobs"
    shopt -s nullglob
    ran=0
    for target in "$root"/build/fuzz/tests/fuzz/fuzz_*; do
        [ -x "$target" ] || continue
        name=$(basename "$target")
        if [ -n "${RAMPART_FUZZ_TARGETS:-}" ] &&
            [[ " $RAMPART_FUZZ_TARGETS " != *" ${name#fuzz_} "* ]]; then
            continue
        fi
        corpus="$root/build/fuzz/corpus/$name"
        mkdir -p "$corpus"
        seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
        [ -d "$seeds" ] || { echo "rampart: $name has no seeds in $seeds"; exit 1; }
        dict=()
        [ -f "$root/tests/fuzz/${name#fuzz_}.dict" ] && dict=("-dict=$root/tests/fuzz/${name#fuzz_}.dict")
        echo "rampart: fuzzing $name for ${seconds}s"
        log="$root/build/fuzz/$name.log"
        status=0
        # fuzz_server's access log shares stderr with libFuzzer's report: the log keeps both,
        # the report's lines are picked out below.
        (cd "$root/build/fuzz" && "$target" -max_total_time="$seconds" -print_final_stats=1 \
            -timeout=30 -rss_limit_mb=4096 ${dict[@]+"${dict[@]}"} "$corpus" "$seeds") >"$log" 2>&1 || status=$?
        grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|SUMMARY" "$log" || true
        if [ "$status" -ne 0 ]; then
            grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$log" | tail -60
            echo "rampart: $name found a crash (log: $log; the input is in $root/build/fuzz)"
            exit 1
        fi
        ran=$((ran + 1))
    done
    echo "rampart: $ran fuzz targets ran without findings"
    ;;
bench)
    deps "${bench_packages[@]}"
    configure "$root/build/bench" -DCMAKE_BUILD_TYPE=Release -DRAMPART_BUILD_TESTS=OFF \
        -DRAMPART_BUILD_BENCH=ON -DRAMPART_BUILD_EXAMPLES=ON
    cmake --build "$root/build/bench" -j "$jobs"
    if [ "${RAMPART_BENCH:-all}" != load ]; then
        for b in "$root"/build/bench/bench/*/bench_*; do
            if [ -x "$b" ]; then
                echo "rampart: $(basename "$b")"
                "$b" "$@"
            fi
        done
    fi
    if [ "${RAMPART_BENCH:-all}" != micro ]; then
        echo "rampart: bench/load.sh"
        "$root/bench/load.sh" "$root/build/bench"
    fi
    ;;
*)
    sed -n '2,/^set /{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    [ "$cmd" = help ] || exit 2
    ;;
esac
