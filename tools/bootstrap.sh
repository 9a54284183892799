#!/usr/bin/env bash
# tools/bootstrap.sh — install the Debian packages moonreel needs to build and test.
#
# Idempotent and non-interactive: packages already installed are skipped, so a
# second run costs one dpkg query. Run as root (CI and the dev machines are);
# otherwise prefixes apt-get with sudo when available.
set -euo pipefail

# Build and runtime dependencies (see ../shared/design.md, "Dependencies").
BUILD_PKGS=(
  build-essential cmake pkg-config
  libluajit2-5.1-dev
  libcpp-httplib-dev libssl-dev
  nlohmann-json3-dev
  libsqlitecpp-dev libsqlite3-dev
  libzip-dev
  libspdlog-dev libfmt-dev
  libcli11-dev
  libedit-dev
  catch2
  libopencv-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  libtorch-dev
)
# Tools the end-to-end tests drive the binary with.
TEST_PKGS=(curl python3 sqlite3 ffmpeg libxml2-utils python3-torch python3-onnx python3-numpy)  # python3-torch/onnx/numpy (+ npm, below): moonreel models pull (tools/models/) and the reference runs; ffmpeg: ffprobe cross-checks the video tests; bench/video; libxml2-utils: xmllint for the FCPXML DTD checks

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
if [[ "${1:-}" == "--bench" ]]; then
  want+=(wrk hyperfine python3-fastapi python3-uvicorn nginx libnginx-mod-http-lua python3-pil libvips-tools)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

# npm may come with a Node.js that is not Debian's (its npm package would conflict): the command counts.
if ! command -v npm > /dev/null 2>&1; then
  missing+=(npm)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
