"""The digest as a complete RFC 5322 message: Subject from the digest's first line, Date,
Message-ID, From and To, and multipart/alternative with the text (as cron would have mailed
it) and an HTML part. Warnings go into the body's NOTES section, never into the subject."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from commsplan.plan.data import Plan
from commsplan.render.html import digest_html
from commsplan.rules.digest import Digest


def digest_text(plan: Plan, digest: Digest, notes: Sequence[str]) -> str:
    """The text digest exactly as ``commsplan digest`` prints it in a pipe (80 columns), with
    the notes after it."""
    from commsplan.render.console import wrap
    from commsplan.render.text import TextRenderer

    buffer = io.StringIO()
    # the text renderer writes to stdout; a StringIO is not a terminal, so it writes plain text
    with contextlib.redirect_stdout(buffer):
        TextRenderer().digest(plan, digest)
    text = buffer.getvalue()
    if notes:
        text += "\nNOTES\n"
        for note in notes:
            lines = wrap(note, 76) or [""]
            text += "".join(("  - " if n == 0 else "    ") + line + "\n" for n, line in enumerate(lines))
    return text


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip(">") or "localhost"


def digest_message(
    plan: Plan, digest: Digest, notes: Sequence[str], sender: str, recipients: Sequence[str]
) -> EmailMessage:
    """The message ready for ``sendmail -t`` or SMTP (UTF-8 throughout, 7-bit safe on the wire)."""
    message = EmailMessage()
    message["Subject"] = digest.subject()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(digest.now)
    message["Message-ID"] = make_msgid("commsplan", domain=domain_of(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a cron job
    message.set_content(digest_text(plan, digest, notes), charset="utf-8")
    message.add_alternative(digest_html(plan, digest, notes), subtype="html", charset="utf-8")
    return message


def default_sender(login: str, host: str) -> str:
    return str(Address("commsplan", addr_spec=f"{login}@{host}"))
