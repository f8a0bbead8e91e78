"""`python -m facerec_stream`: watch the configured cameras and serve StreamService until SIGTERM."""

from __future__ import annotations

import asyncio
import ctypes
from concurrent.futures import ThreadPoolExecutor

from facerec_common.logs import configure_logging
from facerec_common.server import run, serve_until_signalled, start_metrics
from facerec_common.settings import load_settings
from facerec_common.telemetry import configure_tracing
from facerec_stream.server import create_server
from facerec_stream.settings import StreamSettings

# Every camera waits for its next frame in a thread, and prepares it in another: the default pool
# (cores + 4 threads) would make cameras wait for each other.
FRAME_THREADS = 64
# 4K frames are allocated and freed by many threads: glibc's allocator keeps a heap per thread
# and they grew the process by ~250 MB on one 4K camera; two heaps keep its memory flat.
M_ARENA_MAX = -8


def limit_allocator_heaps() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):  # not glibc: its allocator has no such heaps to limit
        pass


async def serve(settings: StreamSettings) -> None:
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=FRAME_THREADS, thread_name_prefix="frames")
    )
    start_metrics(settings)
    server, _, health_servicer, resources = await create_server(settings)
    await serve_until_signalled(server, health_servicer, settings.shutdown_grace_s, on_stop=resources.close)


def main() -> None:
    limit_allocator_heaps()
    settings = load_settings(StreamSettings)
    configure_logging("stream", settings.log_level)
    configure_tracing("stream")
    run(serve(settings))


if __name__ == "__main__":
    main()
