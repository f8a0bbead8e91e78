"""Source URLs without their secrets: what answers, logs, metrics and events may show of a camera."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters cameras and streaming servers take credentials in.
SECRET_PARAMETERS = frozenset(
    {"password", "pass", "passwd", "pwd", "user", "username", "token", "key", "secret", "auth", "sig", "signature"}
)


def redacted(url: str) -> str:
    """The URL with user, password and credential-like query parameters replaced by ***."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "***"  # unparseable: nothing of it is safe to show
    netloc = parts.netloc
    if parts.username is not None or parts.password is not None:
        netloc = f"***@{parts.hostname or ''}" + (f":{port}" if port else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k.lower() in SECRET_PARAMETERS else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
