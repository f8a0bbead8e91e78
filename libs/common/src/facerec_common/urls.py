"""Source URLs without their secrets: what answers, logs, metrics and events may show of a camera."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# Parameters cameras take credentials in, in the query (?user=admin&pwd=…) or in the path
# (/user=admin&password=…&channel=1, as some DVRs do): any name holding one of these.
SECRET_NAMES = ("pass", "pwd", "pw", "user", "login", "token", "key", "secret", "auth", "sig", "cred", "session")
_PARAMETER = re.compile(r"(?P<name>[^/?&;=#]+)=(?P<value>[^/?&;#]*)")


def _parameters_hidden(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        name = match.group("name")
        secret = any(word in name.lower() for word in SECRET_NAMES)
        return f"{name}=***" if secret else match.group(0)

    return _PARAMETER.sub(hide, text)


def redacted(url: str) -> str:
    """The URL with user, password and credential-like parameters (query or path) shown as ***."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "***"  # unparseable: nothing of it is safe to show
    netloc = parts.netloc
    if parts.username is not None or parts.password is not None:
        netloc = f"***@{parts.hostname or ''}" + (f":{port}" if port else "")
    path, query = _parameters_hidden(parts.path), _parameters_hidden(parts.query)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
