#!/usr/bin/env bash
# Real parts some tests drive: Prometheus, nginx, Chromium, kubectl, GStreamer's RTSP server and mosquitto (Debian's packages). Installed where
# missing and possible (apt-get as root or with passwordless sudo); where not, those tests fail and say why
# (FACEREC_TESTS_ALLOW_MISSING_TOOLS=1 makes them skip instead, for a developer's machine).
set -u
missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v chromium >/dev/null && command -v chromedriver >/dev/null || missing+=(chromium chromium-driver)
command -v kubectl >/dev/null || missing+=(kubernetes-client)
# A real RTSP server for the camera tests: GStreamer's, driven by the system's python3.
/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" 2>/dev/null \
    || missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
# A real MQTT broker for the camera events' delivery.
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    as_root=(env)
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n env)
else
    echo "not root and no sudo: the tests that need ${missing[*]} will fail"
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "no apt-get: the tests that need ${missing[*]} will fail"
    exit 0
fi

# Packages must not start their daemons here: only the tests start them, and stop them.
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod +x "$policy"
    created=1
fi
echo "installing ${missing[*]} for the tests (apt-get) ..."
if ! { "${as_root[@]}" apt-get update -qq \
    && "${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >/dev/null; then
    echo "could not install ${missing[*]}: the tests that need them will fail"
fi
[ "$created" = 1 ] && "${as_root[@]}" rm -f "$policy"
exit 0
