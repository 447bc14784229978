# Sourced by scripts/demo and scripts/test: a Python 3.11+ virtual environment in .venv.
oms_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "oms-graph needs Python 3.11 or newer" >&2; return 1
}

oms_venv() {  # oms_venv [extra]: create .venv if missing and install the project (editable) into it
  local extra="${1:-}"
  [ -x .venv/bin/python ] || "$(oms_python)" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip 2>/dev/null || true
  .venv/bin/python -m pip install --quiet -e ".${extra:+[$extra]}"
}
