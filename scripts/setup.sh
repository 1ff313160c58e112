#!/usr/bin/env bash
# Installs mini-engine's build and test dependencies from Debian 12 packages.
# Nothing is downloaded from anywhere else. Safe to run again: only missing
# packages are installed.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libeigen3-dev            # CPU GEMM (one translation unit)
  libyaml-cpp-dev          # configs
  nlohmann-json3-dev       # safetensors headers, state.json, JSON-lines logs
  libgtest-dev libgmock-dev  # tests
  libbenchmark-dev         # bench/ and `mini-engine bench`
  libboost-context-dev     # fibers for the CUDA SIMT emulator
  zlib1g-dev               # gzip'd IDX datasets
  libcli11-dev             # the mini-engine command line
  libfmt-dev               # formatting of messages
  dataset-fashion-mnist    # the default example's data
  fortunes                 # a text corpus for the byte-level language model example
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "setup: these Debian packages are missing and this script is not running as root:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when a first install attempt cannot find something.
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
