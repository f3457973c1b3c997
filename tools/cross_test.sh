#!/usr/bin/env bash
# Cross-compile the C core and the C tests for another architecture and run
# them under user-mode QEMU, so the ARM code paths (the NEON micro-kernels)
# are tested on an x86 machine.
#
#   tools/cross_test.sh aarch64 [--cases N]
#
# Needs the Debian packages gcc-aarch64-linux-gnu and qemu-user; installs them
# with apt-get when missing (as root).  Links statically, so the binaries run
# without a target sysroot; falls back to a dynamic link run with
# `qemu-aarch64 -L /usr/aarch64-linux-gnu` when static OpenMP is unavailable.
# Fails unless the test output shows the NEON kernels ran and passed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ARCH="${1:-}"
shift || true
CASES=40 # random shapes per ISA: emulation is ~10-20x slower than native
while [ $# -gt 0 ]; do
    case "$1" in
        --cases) CASES="$2"; shift 2 ;;
        *) echo "cross_test.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

case "$ARCH" in
    aarch64)
        TRIPLE=aarch64-linux-gnu
        QEMU=qemu-aarch64
        PKGS=(gcc-aarch64-linux-gnu qemu-user)
        EXPECT_ISA=neon
        ;;
    *)
        echo "usage: tools/cross_test.sh aarch64 [--cases N]" >&2
        exit 2
        ;;
esac
CC="$TRIPLE-gcc"

if ! command -v "$CC" >/dev/null || ! command -v "$QEMU" >/dev/null; then
    if ! command -v apt-get >/dev/null; then
        echo "cross_test.sh: $CC / $QEMU missing and no apt-get to install ${PKGS[*]}" >&2
        exit 1
    fi
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    echo "== installing ${PKGS[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
        "${PKGS[@]}" >/dev/null
fi
echo "== $("$CC" --version | head -n 1); $("$QEMU" --version | head -n 1)"

BUILD_DIR="$ROOT/build/ctests/$ARCH"
# Static first: the binaries then need nothing from a target sysroot.
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel\nn=omp_get_num_threads();\nreturn n<1;}\n' >"$probe/p.c"
if "$CC" -fopenmp -static "$probe/p.c" -o "$probe/p" >/dev/null 2>&1 && "$QEMU" "$probe/p"; then
    LINK=(--ldflags -static)
    RUNNER="$QEMU"
else
    echo "static OpenMP link unavailable; linking dynamically against /usr/$TRIPLE"
    LINK=()
    RUNNER="$QEMU -L /usr/$TRIPLE"
fi

# Two emulated threads exercise the OpenMP paths without slowing emulation.
OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$ROOT/tools/build_c_tests.sh" --cc "$CC" --cflags "-O2" \
    --openmp yes "${LINK[@]}" --runner "$RUNNER" --cases "$CASES" --build-dir "$BUILD_DIR"

# The NEON kernels must have run, not been skipped (build_c_tests.sh already
# failed on any FAIL line or non-zero exit).  test_conv2d prints "isa NAME ok"
# per instruction set; other test programs are checked when they print it too.
for log in "$BUILD_DIR"/test_*.log; do
    if grep -Eq "^isa +$EXPECT_ISA +ok" "$log"; then
        echo "$(basename "$log" .log): $EXPECT_ISA kernels passed"
    elif [ "$(basename "$log")" = test_conv2d.log ] || grep -Eq "^isa +$EXPECT_ISA" "$log"; then
        echo "cross_test.sh: $(basename "$log") does not show the $EXPECT_ISA kernels passing" >&2
        exit 1
    fi
done
echo "cross test $ARCH ok: the $EXPECT_ISA kernels ran under $QEMU"
