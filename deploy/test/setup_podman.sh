#!/usr/bin/env bash
# Podman for the deployment test: Debian's podman, runc and mmdebstrap (no Docker engine is
# needed), set up for a machine without systemd where crun cannot set its limits.
set -euo pipefail
packages=(podman runc mmdebstrap uidmap fuse-overlayfs slirp4netns netavark aardvark-dns)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "root needed to install ${missing[*]}"; exit 1; }
    echo "installing ${missing[*]} (apt-get) ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
conf=/etc/containers/containers.conf
if [ ! -e "$conf" ]; then
    mkdir -p /etc/containers
    cat >"$conf" <<'CONF'
# Written by facerec's deploy/test/setup_podman.sh: runc (crun cannot set RLIMIT_NOFILE here),
# cgroupfs and file events (no systemd), ulimits this machine allows.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi
podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}}' >/dev/null
