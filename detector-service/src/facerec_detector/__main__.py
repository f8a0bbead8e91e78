"""`python -m facerec_detector`: serve DetectorService until SIGTERM."""

from __future__ import annotations

from facerec_common.logs import configure_logging
from facerec_common.server import run, serve_until_signalled, start_metrics
from facerec_common.settings import load_settings
from facerec_common.telemetry import configure_tracing
from facerec_detector.server import create_server
from facerec_detector.settings import DetectorSettings


async def serve(settings: DetectorSettings) -> None:
    start_metrics(settings)
    server, _, health_servicer, executor = await create_server(settings)
    await serve_until_signalled(server, health_servicer, settings.shutdown_grace_s)
    executor.shutdown(wait=False, cancel_futures=True)


def main() -> None:
    settings = load_settings(DetectorSettings)
    configure_logging("detector", settings.log_level)
    configure_tracing("detector")
    run(serve(settings))


if __name__ == "__main__":
    main()
