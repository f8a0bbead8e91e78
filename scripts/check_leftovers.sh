#!/usr/bin/env bash
# Nothing `make test` starts may outlive it: embedded PostgreSQL, the services, Prometheus,
# nginx, chromedriver, the RTSP server, mosquitto. Lists what is left (after a short grace for processes still exiting) and fails if any.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
pattern="$root/\.venv/.*(postgres|python[0-9.]* -m facerec_)|prometheus --config\.file=/tmp/pytest-|nginx -c /tmp/(pytest-|facerec-tests-)|chromedriver --port|tests/e2e/rtsp_server\.py|mosquitto -c /tmp/"
for _ in 1 2 3 4 5; do
    left=$(pgrep -af "$pattern" | grep -v -e pgrep -e check_leftovers || true)
    [ -z "$left" ] && exit 0
    sleep 1
done
echo "FAIL  processes started by the tests outlived them:"
echo "$left"
exit 1
