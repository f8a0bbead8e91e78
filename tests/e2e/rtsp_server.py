"""A real RTSP server for the stream tests: GStreamer's (Debian's gir1.2-gst-rtsp-server-1.0),
run by the system's python3 (python3-gi). Serves each file given as rtsp://127.0.0.1:PORT/<name>,
from its start for each client, as the camera's own H.264 (no re-encoding); the stream ends with
the file, as a camera that drops, and the next client starts it again.

    /usr/bin/python3 rtsp_server.py PORT NAME=FILE.mp4 [NAME=FILE.mp4 ...]

Prints "ready" once it listens; stops on SIGTERM."""

from __future__ import annotations

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    Gst.init(None)
    port, mounts = sys.argv[1], sys.argv[2:]
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    for mount in mounts:
        name, path = mount.split("=", 1)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(f'( filesrc location="{path}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 )')
        factory.set_shared(False)
        server.get_mount_points().add_factory(f"/{name}", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on port {port}")
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
