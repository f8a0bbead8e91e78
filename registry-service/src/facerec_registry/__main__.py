"""`python -m facerec_registry [migrate]`: migrate the database, then serve RegistryService until SIGTERM."""

from __future__ import annotations

import sys

from facerec_common.logs import configure_logging
from facerec_common.server import run, serve_until_signalled, start_metrics
from facerec_common.settings import load_settings
from facerec_common.telemetry import configure_tracing
from facerec_registry.settings import RegistrySettings
from facerec_registry.startup import create_server
from facerec_registry.store.migrate import upgrade_to_head


async def serve(settings: RegistrySettings) -> None:
    start_metrics(settings)
    server, _, health_servicer, resources = await create_server(settings)
    await serve_until_signalled(server, health_servicer, settings.shutdown_grace_s, on_stop=resources.close)


def main() -> None:
    settings = load_settings(RegistrySettings)
    configure_logging("registry", settings.log_level)
    configure_tracing("registry")
    if sys.argv[1:] == ["migrate"]:
        upgrade_to_head(settings.database_url)
        return
    run(serve(settings))


if __name__ == "__main__":
    main()
