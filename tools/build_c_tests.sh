#!/usr/bin/env bash
# Build the C core (every csrc/**/*.c) and each C test program (tests/c/test_*.c,
# one binary per file, picked up automatically) with any GCC-compatible C
# compiler, then run them (the bench/*.c programs are built alongside, not
# run).  No Python involved: this is the C core on its own.
#
#   tools/build_c_tests.sh [options]
#     --cc CC           compiler (default: $CC, else cc)
#     --cflags FLAGS    compile flags (default: -O2); sanitizers go here
#     --ldflags FLAGS   extra link flags (e.g. -static)
#     --openmp MODE     auto (default: use -fopenmp when the compiler can link it),
#                       yes (required), no (serial build)
#     --runner CMD      prefix for running the binaries (e.g. qemu-aarch64 -L ...)
#     --cases N         random shapes per instruction set, passed as argv[1]
#     --build-dir DIR   where objects and binaries go (default: build/ctests/default)
#     --timeout S       per-binary time limit in seconds (default: 900)
#     --no-run          build only
#
# Contract for a test program: argv[1] (optional) is the number of random cases,
# it prints a closing "N passed, N failed" line and exits non-zero on failure
# (line-buffer stdout, so a crash still leaves the lines before it in the log).
# Each binary's output is kept in BUILD_DIR/<name>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

CC="${CC:-cc}"
CFLAGS="-O2"
LDFLAGS=""
OPENMP=auto
RUNNER=""
CASES=""
BUILD_DIR=""
TIMEOUT=900
RUN=1
while [ $# -gt 0 ]; do
    case "$1" in
        --cc) CC="$2"; shift 2 ;;
        --cflags) CFLAGS="$2"; shift 2 ;;
        --ldflags) LDFLAGS="$2"; shift 2 ;;
        --openmp) OPENMP="$2"; shift 2 ;;
        --runner) RUNNER="$2"; shift 2 ;;
        --cases) CASES="$2"; shift 2 ;;
        --build-dir) BUILD_DIR="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --no-run) RUN=0; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "build_c_tests.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
BUILD_DIR="${BUILD_DIR:-$ROOT/build/ctests/default}"
mkdir -p "$BUILD_DIR"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"
cd "$ROOT"

# -- OpenMP: probe by compiling and linking a tiny program with the same flags --
OMPFLAGS=""
if [ "$OPENMP" != no ]; then
    probe="$BUILD_DIR/omp_probe.c"
    printf '#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel\nn=omp_get_num_threads();\nreturn n<1;}\n' >"$probe"
    # shellcheck disable=SC2086  # flags are word lists on purpose
    if $CC $CFLAGS -fopenmp "$probe" -o "$BUILD_DIR/omp_probe" $LDFLAGS >/dev/null 2>&1; then
        OMPFLAGS="-fopenmp"
    elif [ "$OPENMP" = yes ]; then
        echo "build_c_tests.sh: $CC cannot build OpenMP programs (--openmp yes)" >&2
        exit 1
    fi
fi

mapfile -t CORE < <(find csrc -name '*.c' | sort)
mapfile -t TESTS < <(find tests/c -maxdepth 1 -name 'test_*.c' | sort)
if [ "${#TESTS[@]}" -eq 0 ]; then
    echo "build_c_tests.sh: no tests/c/test_*.c found" >&2
    exit 1
fi
echo "== C tests: $CC $CFLAGS ${OMPFLAGS:-(no OpenMP)} $LDFLAGS${RUNNER:+ [run: $RUNNER]}"

# -- compile the core once, in parallel over the available cores --
NJOBS="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
COMMON=(-std=gnu11 -fno-strict-aliasing -Wall -Wno-unused-function -Icsrc)
compile() { # src obj
    # shellcheck disable=SC2086
    $CC $CFLAGS $OMPFLAGS "${COMMON[@]}" -c "$1" -o "$2"
}
OBJS=()
pids=()
fail=0
for src in "${CORE[@]}"; do
    obj="$BUILD_DIR/core/${src%.c}.o"
    mkdir -p "$(dirname "$obj")"
    OBJS+=("$obj")
    compile "$src" "$obj" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$NJOBS" ]; then
        wait "${pids[0]}" || fail=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ "$fail" -eq 0 ] || { echo "build_c_tests.sh: compiling the C core failed" >&2; exit 1; }

# -- one binary per test file --
BINS=()
for t in "${TESTS[@]}"; do
    name="$(basename "${t%.c}")"
    # shellcheck disable=SC2086
    $CC $CFLAGS $OMPFLAGS "${COMMON[@]}" "$t" "${OBJS[@]}" -o "$BUILD_DIR/$name" $LDFLAGS -lm
    BINS+=("$name")
done
# -- the C benchmark programs (bench/*.c) are built too, not run: so they keep
#    building as the core changes --
for b in bench/*.c; do
    # shellcheck disable=SC2086
    $CC $CFLAGS $OMPFLAGS "${COMMON[@]}" "$b" "${OBJS[@]}" -o "$BUILD_DIR/$(basename "${b%.c}")" \
        $LDFLAGS -lm
done
echo "built ${#BINS[@]} test program(s) from ${#CORE[@]} core sources: ${BINS[*]}"
[ "$RUN" -eq 1 ] || exit 0

# -- run them all, report every failure --
TO=()
command -v timeout >/dev/null && TO=(timeout "$TIMEOUT")
failed=()
for name in "${BINS[@]}"; do
    echo "-- $name ${CASES:+($CASES random cases)}"
    start=$SECONDS
    # shellcheck disable=SC2086
    if "${TO[@]}" $RUNNER "$BUILD_DIR/$name" $CASES >"$BUILD_DIR/$name.log" 2>&1; then
        rc=0
    else
        rc=$?
    fi
    # the summary lines, and every FAIL line or sanitizer report
    { grep -v '^FAIL' "$BUILD_DIR/$name.log" | tail -n 30; } || true
    { grep '^FAIL' "$BUILD_DIR/$name.log" | head -n 40; } || true
    echo "-- $name: exit $rc, $((SECONDS - start)) s"
    [ "$rc" -eq 0 ] || failed+=("$name")
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "C tests FAILED: ${failed[*]} (logs in $BUILD_DIR)"
    exit 1
fi
echo "C tests ok: ${BINS[*]}"
