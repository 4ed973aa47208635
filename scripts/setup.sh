#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), then configures and builds agentco in
# ./build. Idempotent: a second run installs nothing and rebuilds only what changed.
#   BUILD_DIR=... BUILD_TYPE=Debug|Release JOBS=N  (defaults: build, Release, nproc)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(cmake g++ make pkg-config git ca-certificates python3
  libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libssl-dev libgit2-dev libcli11-dev bubblewrap unzip
  libnats-dev nats-server  # the cluster: the NATS C client, and the server tests start
  chromium nodejs)  # the web viewer's assets (npm) and its browser test

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm may come with nodejs (NodeSource) or as Debian's own package.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing npm"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
# Into web/node_modules: the viewer's front-end packages (marked, mermaid), mermaid-cli
# (mmdc), which renders a run's diagrams in Debian's chromium, and playwright-core for the
# viewer's browser test; skipped when web/package-lock.json has not changed. Puppeteer (for
# mmdc) must not download a browser of its own: web/.puppeteerrc.cjs says so, and so does this.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "setup: npm ci in web/"
  (cd web && PUPPETEER_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund --loglevel=error)
fi

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
