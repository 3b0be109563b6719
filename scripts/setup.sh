#!/usr/bin/env bash
# All set-up on a fresh machine, idempotent: Debian packages the project uses (when root and apt exist and
# they are missing), then `npm ci` (which builds the native aten addon when libtorch is found), then the
# Jupyter kernel spec. Anything that cannot be installed is reported in one line, never silently skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

want=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg -s "$1" >/dev/null 2>&1; }
if have_cmd dpkg; then
  for p in libtorch-dev python3-torch jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel chromium; do
    have_pkg "$p" || want+=("$p")
  done
fi
if ((${#want[@]})); then
  if [ "$(id -u)" = 0 ] && have_cmd apt-get; then
    echo "setup: installing Debian packages: ${want[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}") >/tmp/robustlab-apt.log 2>&1 \
      || echo "setup: apt-get failed (see /tmp/robustlab-apt.log); continuing with what is installed"
  else
    echo "setup: missing ${want[*]}; install them (apt-get install ${want[*]}) or pip install jupyter nbclient torch; continuing"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund || { echo "setup: npm ci failed"; exit 1; }
fi

if node -e "process.exit(require('./package.json').scripts['kernel:setup'] ? 0 : 1)"; then
  npm run --silent kernel:setup || { echo "setup: kernel set-up failed"; exit 1; }
fi
echo "setup: done"
