# Sourced by scripts/demo and scripts/test: build the browser console (console/) into the package
# (src/oms_graph/console), where `oms-graph serve` serves it at /console.
oms_console() {  # oms_console [required]: build it; without node and npm, say so (fail when required)
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Node.js and npm were not found: the console is not built, the API is served alone" >&2
    [ "${1:-}" != required ] || return 1
    return 0
  fi
  (cd console && npm ci --no-audit --no-fund --loglevel=error && npm run -s build >/dev/null) || {
    echo "the console did not build: the API is served alone" >&2
    [ "${1:-}" != required ] || return 1
  }
}

oms_chromium() {  # Debian's chromium for the browser tests, installed when missing
  command -v chromium >/dev/null 2>&1 && return 0
  echo "installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  else
    sudo apt-get install -y -qq chromium >/dev/null
  fi
}
