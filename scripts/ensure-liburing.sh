#!/usr/bin/env bash
# Installs liburing-dev (and pkg-config) with apt-get when liburing is missing.
set -euo pipefail
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists liburing; then
    exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
echo "liburing not found: installing liburing-dev with apt-get" >&2
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq liburing-dev pkg-config >/dev/null
pkg-config --exists liburing
