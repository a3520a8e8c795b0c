"""The digest as a real e-mail: a whole message for `sendmail -t`, and sent through a real SMTP
server that the test starts on the loopback interface and reads back."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .helpers import PLAN, Cli

NOW = "2020-10-27T07:00"


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> dict[str, str]:
    """content type -> decoded text of each part of a multipart/alternative message."""
    assert message.get_content_type() == "multipart/alternative"
    found: dict[str, str] = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        assert part.get_content_charset() == "utf-8"
        found[part.get_content_type()] = part.get_content()
    return found


def test_format_email_is_a_whole_message_for_sendmail(cli: Cli) -> None:
    result = cli(
        "digest", "--owner", "SLT", "--now", NOW, "--since", "2020-10-26", "--format", "email",
        "--from", "East Area commsplan <commsplan@example.org>", "--to", "slt@example.org", "--to", "duty@example.org",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    message = parse(result.stdout_bytes)
    assert message["Subject"] == "commsplan slt Tue 27 Oct: 6 overdue, 0 due today"
    assert message["From"] == "East Area commsplan <commsplan@example.org>"
    assert [a.addr_spec for a in message["To"].addresses] == ["slt@example.org", "duty@example.org"]
    assert parsedate_to_datetime(message["Date"]).isoformat() == "2020-10-27T07:00:00+00:00"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Auto-Submitted"] == "auto-generated"
    body = parts(message)
    text, html = body["text/plain"], body["text/html"]
    # the text part is what `commsplan digest` prints, UTF-8 intact
    plain = cli("digest", "--owner", "SLT", "--now", NOW, "--since", "2020-10-26").stdout
    assert text == plain
    assert "East Area BCU · now Tue 27 Oct 2020 07:00 GMT" in text
    assert "<h2>OVERDUE (6)</h2>" in html
    assert "<code>media-engagement</code>" in html
    assert "NOTES" not in text


def test_warnings_go_into_notes_never_into_the_subject(cli: Cli) -> None:
    # a damaged line in the log: a warning that `digest` prints on stderr, and that cron's
    # `2>&1` used to make the first line of the mail, so its subject
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00")
    with cli.log.open("ab") as handle:
        handle.write(b"garbage\n")
    result = cli("digest", "--now", "2020-10-27T07:00", "--format", "email", "--to", "team@example.org")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    message = parse(result.stdout_bytes)
    assert message["Subject"].startswith("commsplan Tue 27 Oct: ")
    text = parts(message)["text/plain"]
    assert text.startswith(message["Subject"] + "\n")
    assert text.endswith("\nNOTES\n  - log line 2: not valid JSON (skipped)\n")
    assert "<h2>NOTES</h2><ul><li>log line 2: not valid JSON (skipped)" in parts(message)["text/html"]


def test_the_recipient_can_come_from_the_plan(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN.read_text(encoding="utf-8").replace(
            "    aliases: [SLT]\n", "    aliases: [SLT]\n    email: east-area-slt@example.org\n"
        ),
        encoding="utf-8",
    )
    result = cli("digest", "--plan", str(plan), "--owner", "SLT", "--now", NOW, "--format", "email")
    assert result.exit_code == 0, result.stderr
    assert parse(result.stdout_bytes)["To"] == "east-area-slt@example.org"


def test_mail_options_are_refused_where_they_mean_nothing(cli: Cli) -> None:
    no_recipient = cli("digest", "--now", NOW, "--format", "email")
    assert no_recipient.exit_code == 2
    assert no_recipient.stderr.startswith("commsplan: error: an e-mail needs a recipient: --to ADDRESS")
    to_on_text = cli("digest", "--now", NOW, "--to", "a@example.org")
    assert to_on_text.exit_code == 2
    assert to_on_text.stderr == "commsplan: error: --from and --to go with --format email or --send\n"
    send_json = cli("digest", "--now", NOW, "--send", "--json", "--to", "a@example.org")
    assert send_json.exit_code == 2


# --- a real SMTP server on the loopback interface --------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login))
        return "250 Message accepted for delivery"


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"digest", b"s3cret")
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_check_login,
        auth_require_tls=False,  # loopback only; TLS is the real server's business
        ready_timeout=10,
    )
    controller.start()  # returns once the server answers
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_send_delivers_through_smtp_with_netrc_login(cli: Cli, tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login digest password s3cret\n", encoding="utf-8")
    netrc.chmod(0o600)
    result = cli(
        "digest", "--owner", "SLT", "--now", NOW, "--since", "2020-10-26", "--send",
        "--from", "commsplan@example.org", "--to", "slt@example.org",
        env={"COMMSPLAN_SMTP": f"smtp://127.0.0.1:{port}", "HOME": str(tmp_path), "NETRC": ""},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    [received] = inbox.messages
    assert received.login == b"digest"
    assert received.mail_from == "commsplan@example.org"
    assert received.rcpt_tos == ["slt@example.org"]
    message = parse(received.content)
    assert message["Subject"] == "commsplan slt Tue 27 Oct: 6 overdue, 0 due today"
    assert "East Area BCU · now Tue 27 Oct 2020 07:00 GMT" in parts(message)["text/plain"]


def test_send_takes_credentials_from_the_environment(cli: Cli, tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env = {
        "COMMSPLAN_SMTP": f"127.0.0.1:{port}",
        "COMMSPLAN_SMTP_USER": "digest",
        "COMMSPLAN_SMTP_PASSWORD": "s3cret",
        "HOME": str(tmp_path),
    }
    result = cli("digest", "--now", NOW, "--send", "--to", "team@example.org", env=env)
    assert result.exit_code == 0, result.stderr
    assert [m.login for m in inbox.messages] == [b"digest"]


def test_a_refused_login_is_an_error_and_nothing_is_sent(cli: Cli, tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env = {
        "COMMSPLAN_SMTP": f"smtp://127.0.0.1:{port}",
        "COMMSPLAN_SMTP_USER": "digest",
        "COMMSPLAN_SMTP_PASSWORD": "wrong",
        "HOME": str(tmp_path),
    }
    result = cli("digest", "--now", NOW, "--send", "--to", "team@example.org", env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"commsplan: error: smtp://127.0.0.1:{port} did not take the message: ")
    assert inbox.messages == []


def test_credentials_never_sit_in_the_server_address(cli: Cli) -> None:
    env = {"COMMSPLAN_SMTP": "smtp://me:pw@127.0.0.1:2525"}
    result = cli("digest", "--now", NOW, "--send", "--to", "team@example.org", env=env)
    assert result.exit_code == 1
    assert "put no credentials in the server's address" in result.stderr


def test_plan_text_is_escaped_in_html_and_utf8_survives(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    text = PLAN.read_text(encoding="utf-8")
    what = "      text: Co-ordinated media engagement on localised issues and crime prevention, ratified with SLT\n"
    assert what in text
    plan.write_text(text.replace(what, "      text: Café <b>briefing</b> & “press” notes\n"), encoding="utf-8")
    result = cli(
        "digest", "--plan", str(plan), "--owner", "SLT", "--now", NOW, "--format", "email",
        "--from", "Équipe Comms <comms@example.org>", "--to", "slt@example.org",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.isascii()  # 7-bit on the wire: encoded words and quoted-printable
    message = parse(result.stdout_bytes)
    assert message["From"] == "Équipe Comms <comms@example.org>"
    body = parts(message)
    assert "Café <b>briefing</b> & “press” notes" in body["text/plain"]
    assert "Café &lt;b&gt;briefing&lt;/b&gt; &amp; “press” notes" in body["text/html"]
    assert "<b>briefing" not in body["text/html"]


def test_the_html_part_says_what_the_text_part_says(cli: Cli) -> None:
    cli("done", "iag", "--occurrence", "2020-Q3", "--now", "2020-10-26T10:00")
    result = cli("digest", "--now", "2020-10-27T07:00", "--format", "email", "--to", "team@example.org", "--no-mark")
    message = parse(result.stdout_bytes)
    text, page = parts(message)["text/plain"], parts(message)["text/html"]
    head = next(line for line in text.splitlines() if line.startswith("Log head: "))
    assert f"<p>Log head: <code>{head.removeprefix('Log head: ')}</code></p>" in page
    for heading in ("TODAY, IF THERE IS SOMETHING TO SAY (2)", "BEING PREPARED (1)", "CAMPAIGNS STARTING SOON (1)"):
        assert heading in text and f"<h2>{heading}</h2>" in page
    assert "NO DATE THIS PLAN YEAR" in text and "NO DATE THIS PLAN YEAR" in page


# --- TLS: STARTTLS on the submission port, and TLS from the first byte -----------------------------


@dataclass
class TlsServer:
    inbox: Inbox
    port: int
    ca: Path  # the certificate authority that signed the server's certificate, as a PEM file


def _tls_server(tmp_path: Path, implicit: bool) -> Iterator[TlsServer]:
    """A server with a certificate for 127.0.0.1 from a throwaway authority; it takes a login
    only over TLS, and with STARTTLS no mail before TLS."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca))
    inbox = Inbox()
    port = _free_port()
    tls: dict[str, Any] = (
        # aiosmtpd counts only STARTTLS as TLS for AUTH: with TLS from the first byte, it is
        {"ssl_context": context, "auth_require_tls": False}
        if implicit
        else {"tls_context": context, "require_starttls": True}
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_check_login, ready_timeout=10, **tls)
    controller.start()
    try:
        yield TlsServer(inbox, port, ca)
    finally:
        controller.stop()


@pytest.fixture
def starttls(tmp_path: Path) -> Iterator[TlsServer]:
    yield from _tls_server(tmp_path, implicit=False)


@pytest.fixture
def smtps(tmp_path: Path) -> Iterator[TlsServer]:
    yield from _tls_server(tmp_path, implicit=True)


def _send_env(scheme: str, server: TlsServer, tmp_path: Path, *, trusted: bool) -> dict[str, str]:
    return {
        "COMMSPLAN_SMTP": f"{scheme}://127.0.0.1:{server.port}",
        "COMMSPLAN_SMTP_USER": "digest",
        "COMMSPLAN_SMTP_PASSWORD": "s3cret",
        "HOME": str(tmp_path),
        # the system's authorities, or also this one (OpenSSL reads SSL_CERT_FILE)
        "SSL_CERT_FILE": str(server.ca) if trusted else ssl.get_default_verify_paths().openssl_cafile,
    }


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_send_over_tls_logs_in_and_delivers(
    cli: Cli, tmp_path: Path, scheme: str, request: pytest.FixtureRequest
) -> None:
    server: TlsServer = request.getfixturevalue("starttls" if scheme == "smtp+starttls" else "smtps")
    env = _send_env(scheme, server, tmp_path, trusted=True)
    result = cli("digest", "--now", NOW, "--send", "--to", "team@example.org", env=env)
    assert result.exit_code == 0, result.stderr
    [received] = server.inbox.messages
    assert received.login == b"digest"
    assert parse(received.content)["Subject"] == "commsplan Tue 27 Oct: 107 overdue, 0 due today"


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_a_server_whose_certificate_is_not_trusted_gets_nothing(
    cli: Cli, tmp_path: Path, scheme: str, request: pytest.FixtureRequest
) -> None:
    server: TlsServer = request.getfixturevalue("starttls" if scheme == "smtp+starttls" else "smtps")
    env = _send_env(scheme, server, tmp_path, trusted=False)
    result = cli("digest", "--now", NOW, "--send", "--to", "team@example.org", env=env)
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert said.startswith(f"commsplan: error: cannot reach {scheme}://127.0.0.1:{server.port}: "), said
    assert "certificate verify failed" in said, said
    assert server.inbox.messages == []  # and the password never left: no TLS, no login


def test_plain_smtp_to_a_server_that_wants_starttls_is_refused(cli: Cli, tmp_path: Path, starttls: TlsServer) -> None:
    env = {**_send_env("smtp", starttls, tmp_path, trusted=True), "COMMSPLAN_SMTP_USER": ""}
    result = cli("digest", "--now", NOW, "--send", "--to", "team@example.org", env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"commsplan: error: smtp://127.0.0.1:{starttls.port} did not take the message: ")
    assert starttls.inbox.messages == []
