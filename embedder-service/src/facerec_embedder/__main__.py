"""`python -m facerec_embedder`: serve EmbedderService until SIGTERM."""

from __future__ import annotations

from facerec_common.logs import configure_logging
from facerec_common.server import run, serve_until_signalled, start_metrics
from facerec_common.settings import load_settings
from facerec_common.telemetry import configure_tracing
from facerec_embedder.server import create_server
from facerec_embedder.settings import EmbedderSettings


async def serve(settings: EmbedderSettings) -> None:
    start_metrics(settings)
    server, _, health_servicer, resources = await create_server(settings)
    await serve_until_signalled(server, health_servicer, settings.shutdown_grace_s)
    await resources.close()


def main() -> None:
    settings = load_settings(EmbedderSettings)
    configure_logging("embedder", settings.log_level)
    configure_tracing("embedder")
    run(serve(settings))


if __name__ == "__main__":
    main()
