#!/bin/bash
# OpenMP thread scaling of the C core on the issue's shapes, without Python:
# builds bench/conv2d_bench.c statically (it then runs on a bare machine too) and
# prints the best-of-REPS milliseconds per thread count.
#   tools/scaling.sh [--build-only] [thread counts...]   (default: 1 2 4 8 16)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/scaling"
mkdir -p "$out"
if [ ! -x "$out/conv2d_bench" ] || [ "${1:-}" = "--build-only" ]; then
    ${CC:-gcc} -O3 -fopenmp -std=gnu11 -static -I"$root/csrc" "$root/bench/conv2d_bench.c" \
        "$root"/csrc/common/*.c "$root"/csrc/conv2d/conv2d.c "$root"/csrc/conv2d/conv2d_naive.c \
        "$root"/csrc/ukernel/ukernel_*.c -o "$out/conv2d_bench" 2>&1 |
        { grep -v -e "dlopen" -e "gomp_target_init" || true; } # static libgomp's harmless notice
fi
[ "${1:-}" = "--build-only" ] && exit 0
threads=("$@"); [ ${#threads[@]} -eq 0 ] && threads=(1 2 4 8 16)
lscpu | grep -E "Model name|^CPU\(s\)" || true
shapes=(
    "dense3x3_c64_56:1 64 56 56 64 3 3 1 1 1 1"
    "dense3x3_c256_14:1 256 14 14 256 3 3 1 1 1 1"
    "stem7x7_s2_c3_224:1 3 224 224 64 7 7 2 3 1 1"
    "pointwise_256to64_56:1 256 56 56 64 1 1 1 0 1 1"
    "depthwise3x3_c144_56:1 144 56 56 144 3 3 1 1 1 144"
    "grouped3x3_g32_c128_56:1 128 56 56 128 3 3 1 1 1 32"
    "dilated3x3_d6_c256_33:1 256 33 33 256 3 3 1 6 6 1"
    "dense3x3_c64_56_n8:8 64 56 56 64 3 3 1 1 1 1"
)
for e in "${shapes[@]}"; do
    line="${e%%:*}"
    for nt in "${threads[@]}"; do
        r=$(NT=$nt REPS=${REPS:-30} "$out/conv2d_bench" ${e#*:} 2>/dev/null)
        line="$line | $nt: ${r%% ms*} ms"
    done
    echo "$line"
done
