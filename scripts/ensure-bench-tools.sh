#!/usr/bin/env bash
# Installs the benchmark's reference tools with apt-get when one is missing: nginx (the
# http scenario's reference server), wrk (its second load generator) and fio (the file
# scenario's limit). nginx is kept from running as a system service: the benchmark
# starts its own nginx, in a child process, on a port it picks.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
for tool in nginx wrk fio; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
echo "${missing[*]} not found: installing with apt-get" >&2
# While installing, forbid services from starting (invoke-rc.d asks policy-rc.d), unless
# the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod 755 "$policy"
    added_policy=yes
fi
cleanup() { if [ -n "$added_policy" ]; then $sudo_cmd rm -f "$policy"; fi; }
trap cleanup EXIT
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
# Keep nginx from starting at boot too, and stop it if the machine's own policy let it
# start: under systemd, and in the System V links where there is no systemd.
if [[ " ${missing[*]} " == *" nginx "* ]]; then
    if command -v systemctl >/dev/null 2>&1; then
        if [ -d /run/systemd/system ]; then
            $sudo_cmd systemctl disable --now nginx >/dev/null 2>&1 || true
        else
            $sudo_cmd systemctl disable nginx >/dev/null 2>&1 || true
        fi
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
        $sudo_cmd update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
    if [ ! -d /run/systemd/system ] && command -v service >/dev/null 2>&1; then
        $sudo_cmd service nginx stop >/dev/null 2>&1 || true
    fi
fi
for tool in "${missing[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is still missing after apt-get install" >&2; exit 1; }
done
