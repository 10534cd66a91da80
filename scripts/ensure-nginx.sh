#!/usr/bin/env bash
# Install Debian's nginx (the round-robin proxy of `make bench BENCH_SERVERS=2`) when it is
# missing and we can (root with apt-get, as on CI). Installing it starts no nginx here: where
# Debian's policy-rc.d forbids starting services (containers, CI) none is started, and the
# benchmark runs its own nginx in the foreground with a configuration of its own
# (bench/infra.py) on a port of its own. Otherwise say why: the benchmark then stops with
# a one-line error, and the smoke test of the two-server run skips (fails under CI=true).
set -u
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's nginx for the benchmark..."
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -qq nginx >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }) \
    </dev/null && exit 0
  echo "apt-get could not install nginx." >&2
else
  echo "nginx is not installed and this user cannot install it (needs root and apt-get)." >&2
fi
echo "Install it with: apt-get install -y nginx" >&2
exit 0
