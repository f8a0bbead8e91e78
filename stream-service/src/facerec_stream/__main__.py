"""`python -m facerec_stream`: watch the configured cameras and serve StreamService until SIGTERM."""

from __future__ import annotations

from facerec_common.logs import configure_logging
from facerec_common.server import run, serve_until_signalled, start_metrics
from facerec_common.settings import load_settings
from facerec_common.telemetry import configure_tracing
from facerec_stream.server import create_server
from facerec_stream.settings import StreamSettings


async def serve(settings: StreamSettings) -> None:
    start_metrics(settings)
    server, _, health_servicer, resources = await create_server(settings)
    await serve_until_signalled(server, health_servicer, settings.shutdown_grace_s, on_stop=resources.close)


def main() -> None:
    settings = load_settings(StreamSettings)
    configure_logging("stream", settings.log_level)
    configure_tracing("stream")
    run(serve(settings))


if __name__ == "__main__":
    main()
