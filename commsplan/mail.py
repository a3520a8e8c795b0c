"""Sending a finished message by SMTP: the server from ``COMMSPLAN_SMTP``, credentials from
the environment or ``~/.netrc``, never from the command line (where `ps` and shell history
would show them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from commsplan.errors import CommsplanError

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    scheme: str  # smtp (plain), smtp+starttls, or smtps (TLS from the first byte)
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def smtp_server(environ: Mapping[str, str]) -> SmtpServer:
    """The server in ``COMMSPLAN_SMTP`` (``smtp+starttls://mail.example.org:587``; a bare
    ``host[:port]`` is plain SMTP), else plain SMTP on localhost:25."""
    text = environ.get("COMMSPLAN_SMTP", "").strip() or "smtp://localhost"
    if "://" not in text:
        text = "smtp://" + text
    parts = urlsplit(text)
    if parts.scheme not in DEFAULT_PORTS:
        raise CommsplanError(
            f"COMMSPLAN_SMTP: unknown scheme '{parts.scheme}' (expected smtp://, smtp+starttls:// or smtps://)"
        )
    if parts.username or parts.password:
        raise CommsplanError(
            "COMMSPLAN_SMTP: put no credentials in the server's address; use ~/.netrc or "
            "COMMSPLAN_SMTP_USER and COMMSPLAN_SMTP_PASSWORD"
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise CommsplanError(f"COMMSPLAN_SMTP: bad port in '{text}'") from None
    if not parts.hostname:
        raise CommsplanError(f"COMMSPLAN_SMTP: no host in '{text}'")
    return SmtpServer(parts.scheme, parts.hostname, port)


def credentials(host: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(user, password) from COMMSPLAN_SMTP_USER/COMMSPLAN_SMTP_PASSWORD, else from the
    ``machine HOST`` entry of ``~/.netrc`` (``$NETRC`` names another file); None: no login."""
    user = environ.get("COMMSPLAN_SMTP_USER")
    if user:
        return user, environ.get("COMMSPLAN_SMTP_PASSWORD", "")
    import netrc

    home = environ.get("HOME") or os.path.expanduser("~")
    path = Path(environ.get("NETRC") or Path(home) / ".netrc")
    if not path.is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except (netrc.NetrcParseError, OSError) as exc:
        raise CommsplanError(f"cannot read {path}: {exc}") from None
    if entry is None:
        return None
    login, _account, password = entry
    return login, password or ""


def send(message: EmailMessage, environ: Mapping[str, str] | None = None, timeout: float = 30.0) -> SmtpServer:
    """Hand ``message`` to the SMTP server for its To/Cc recipients; raise CommsplanError
    (exit 1) with the server's own words when it refuses."""
    import smtplib
    import ssl

    env = os.environ if environ is None else environ
    server = smtp_server(env)
    login = credentials(server.host, env)
    try:
        client: smtplib.SMTP
        if server.scheme == "smtps":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            if server.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if login is not None:
                client.login(*login)
            client.send_message(message)
    except smtplib.SMTPException as exc:
        raise CommsplanError(f"{server} did not take the message: {exc}") from None
    except OSError as exc:
        raise CommsplanError(f"cannot reach {server}: {exc.strerror or exc}") from None
    return server
