"""Client side of facerec: a typed Python client (sync and async) and the `facerec` command line tool."""

from facerec_client.api import (
    ApiError,
    AsyncClient,
    Client,
    Collection,
    Enrolled,
    Identification,
    NotFound,
    Person,
    Refused,
    Unavailable,
    Verification,
)
from facerec_client.grpc_client import GrpcClient

__all__ = [
    "ApiError",
    "AsyncClient",
    "Client",
    "Collection",
    "Enrolled",
    "GrpcClient",
    "Identification",
    "NotFound",
    "Person",
    "Refused",
    "Unavailable",
    "Verification",
]
