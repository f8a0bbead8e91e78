#!/usr/bin/env bash
# Local stand-ins for every upstream image docker-compose.yml names, built from Debian's
# packages (no container registry is reached): base file systems made by mmdebstrap, then
# tagged with the upstream names so the repo's Dockerfiles and compose file use them unchanged.
#   python:3.11-slim-bookworm  <- bookworm's Python 3.11
#   pgvector/pgvector:pg17     <- trixie's postgresql-17 + postgresql-17-pgvector
#   nginx:1.27-alpine          <- bookworm's nginx
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

base() {  # base <suite> <packages>: a minimal Debian image as localhost/facerec-standin-base:<suite>
    local suite=$1 include=$2
    local updates="deb $mirror $suite-updates main"
    mmdebstrap --quiet --variant=minbase --include="$include" \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='for c in /usr/local/share/ca-certificates/*.crt; do [ -e "$c" ] && cp "$c" "$1/usr/local/share/ca-certificates/"; done; true' \
        --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        "$suite" - "deb $mirror $suite main" "$updates" "deb $security $suite-security main" \
        | podman import --quiet --change 'CMD ["/bin/bash"]' - "localhost/facerec-standin-base:$suite" >/dev/null
    echo "built localhost/facerec-standin-base:$suite"
}

standin() {  # standin <Dockerfile> <upstream name>
    podman build --quiet --pull=never -f "$here/standins/$1" -t "$2" "$here/standins" >/dev/null
    echo "built $2 (stand-in: $1)"
}

base bookworm python3,python3-venv,ca-certificates &
bookworm=$!
base trixie ca-certificates &
trixie=$!
wait "$bookworm"  # each on its own line: a failure stops the script (set -e)
wait "$trixie"
standin python.Dockerfile docker.io/library/python:3.11-slim-bookworm
standin nginx.Dockerfile docker.io/library/nginx:1.27-alpine
standin postgres.Dockerfile docker.io/pgvector/pgvector:pg17
