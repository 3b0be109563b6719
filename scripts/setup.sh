#!/usr/bin/env bash
# All set-up on a fresh machine, idempotent: Debian packages the project uses (when root and apt exist and
# they are missing), then `npm ci` (which builds the native aten addon when libtorch is found), then the
# Jupyter kernel spec, then which BLAS libtorch resolves. Anything that cannot be installed is reported in one
# line, never silently skipped.
# libopenblas0-pthread comes with libtorch-dev: without it Debian's libtorch links netlib's reference BLAS and
# every dense product runs ~40 times slower (issue 23). Elsewhere: Fedora `dnf install openblas-openmp`, Arch
# `pacman -S openblas`, Homebrew `brew install openblas`; pip's torch wheels bundle MKL (x86) or OpenBLAS (arm)
# and need nothing; an unpacked LIBTORCH zip bundles MKL.
# jupyter-notebook, slurm-wlm and munge serve the tests only: the browser test drives the classic Notebook
# server, and the sweep test starts a one-node Slurm (scripts/slurm-local.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

want=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg -s "$1" >/dev/null 2>&1; }
if have_cmd dpkg; then
  for p in libtorch-dev libopenblas0-pthread python3-torch jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel chromium \
    jupyter-notebook slurm-wlm munge; do
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
# The BLAS libtorch resolves at run time, as the aten addon sees it (engineInfo() reports the same).
if [ -f native/build/aten.node ]; then
  node -e '
    const b = require("./native/build/aten.node").blas(0);
    const v = (b.config || "").split(" ").slice(0, 2).join(" ") || b.name;
    if (b.name === "reference") {
      console.log(`setup: WARNING: libtorch uses the reference BLAS (${b.file}); dense products run ~40 times slower: apt-get install libopenblas0-pthread (Debian; if installed, update-alternatives --config libblas.so.3-${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu), or see environment.md`);
      process.exit(0);
    }
    console.log(`setup: BLAS ${v}${b.core ? ` (${b.core} kernels)` : ""}, ${b.threads} thread(s): ${b.file}`);
  ' || echo "setup: the aten addon did not load to report its BLAS (npm run build:native)"
fi
echo "setup: done"
