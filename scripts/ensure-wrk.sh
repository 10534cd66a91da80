#!/usr/bin/env bash
# Install Debian's wrk (the benchmark's load generator) when it is missing and we can (root
# with apt-get, as on CI). Otherwise say why: `make bench` then stops, and the benchmark's
# smoke test (tests/test_bench_smoke.py) skips its load part (or fails under CI=true).
set -u
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's wrk for the benchmark..."
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }) \
    </dev/null && exit 0
  echo "apt-get could not install wrk." >&2
else
  echo "wrk is not installed and this user cannot install it (needs root and apt-get)." >&2
fi
echo "Install it with: apt-get install -y wrk" >&2
exit 0
