"""`python -m facerec_gateway`: serve the REST API with uvicorn."""

from __future__ import annotations

import uvicorn

from facerec_common.logs import configure_logging
from facerec_common.settings import load_settings
from facerec_common.telemetry import configure_tracing
from facerec_gateway.app import create_app
from facerec_gateway.settings import GatewaySettings


def main() -> None:
    settings = load_settings(GatewaySettings)
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=settings.access_log,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
