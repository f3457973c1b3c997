#!/usr/bin/env bash
# Run the Python suite once per instruction-set path this machine has, so that a
# bug in a rarely used path (generic on an AVX-512 machine, say) cannot hide.
#
#   tools/isa_matrix.sh [pytest args...]
#
# Kernel tests that take the `isa` fixture (tests/conftest.py) are already
# parametrised over fastconv.available_isas() in the main run; they carry the
# ISA name in their test id and are deselected here.  Everything else (tests
# without the fixture, the hostile-input children, threads, torch comparisons)
# runs again with FASTCONV_ISA forcing each ISA other than the default one,
# which the main run already used.  Needs fastconv importable (installed, or
# PYTHONPATH=src after an in-place build).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
read -r -a ISAS <<<"$("$PY" -c 'import fastconv; print(*fastconv.available_isas())')"
DEFAULT="$(env -u FASTCONV_ISA "$PY" -c 'import fastconv; print(fastconv.get_isa())')"
ALL_NAMES="$("$PY" -c 'from fastconv._config import ISA_NAMES; print(" and ".join("not " + n for n in ISA_NAMES))')"
echo "available ISAs: ${ISAS[*]} (default: $DEFAULT)"
# how much of the suite the isa fixture covers
"$PY" -m pytest tests -q --collect-only -p no:cacheprovider -k "$ALL_NAMES" "$@" | tail -n 1 |
    sed 's/^/tests without an ISA in their id: /'
"$PY" -m pytest tests -q --collect-only -p no:cacheprovider "$@" | tail -n 1 | sed 's/^/all tests: /'
status=0
for isa in "${ISAS[@]}"; do
    [ "$isa" = "$DEFAULT" ] && continue
    echo "== FASTCONV_ISA=$isa"
    FASTCONV_ISA="$isa" "$PY" -c "import fastconv, sys; sys.exit(fastconv.get_isa() != '$isa')" ||
        { echo "FASTCONV_ISA=$isa was not honoured" >&2; status=1; continue; }
    start=$SECONDS
    FASTCONV_ISA="$isa" "$PY" -m pytest tests -q -p no:cacheprovider -k "$ALL_NAMES" "$@" || status=1
    echo "== FASTCONV_ISA=$isa: $((SECONDS - start)) s"
done
exit "$status"
