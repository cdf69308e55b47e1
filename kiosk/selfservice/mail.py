"""Mailing a one-time code through the store's mail server ([selfservice.mail]).

The standard library's smtplib and email packages speak SMTP and build the message (TLS,
STARTTLS, sign-in, headers, encodings): nothing here needs a further library. It blocks, so
callers run `send_code` in a worker thread, never on the screen's.

The code and the address never go to a log; a failure is logged by its kind alone.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from kiosk import config, private


class MailError(Exception):
    """The code could not be handed to the mail server; the message is for the log (no address)."""


def _password(settings: config.MailSettings) -> str | None:
    if not settings.username:
        return None
    path = Path(settings.password_file).expanduser()
    try:
        private.secure(path)
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MailError(f"the mail password file can't be read ({exc.strerror or type(exc).__name__})") from None


def message(settings: config.MailSettings, to: str, code: str, store_name: str, minutes: float) -> EmailMessage:
    store = store_name or "our store"
    mail = EmailMessage()
    mail["Subject"] = f"Your code for {store}: {code}"
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail.set_content(
        f"Your code is {code}\n\n"
        f"Type it on the kiosk at {store} to see your points and rewards. "
        f"It works once, for {minutes:g} minutes.\n\n"
        "If you did not ask for it, you can ignore this email: nobody can see your account without the code.\n")
    return mail


def _session(settings: config.MailSettings, talk) -> None:
    """Connect, secure and sign in as the settings say, then `talk(client)`; MailError on any failure."""
    password = _password(settings)
    context = ssl.create_default_context()
    try:
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if password is not None:
                client.login(settings.username, password)
            talk(client)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"the mail server refused the user name or password ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"the mail server refused the code's email ({exc.smtp_code})") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"the mail server failed ({type(exc).__name__})") from None
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"the mail server can't be reached ({type(exc).__name__})") from None


def send_code(settings: config.MailSettings, to: str, code: str, store_name: str = "",
              minutes: float = 10.0) -> None:
    mail = message(settings, to, code, store_name, minutes)
    _session(settings, lambda client: client.send_message(mail))


def check_server(settings: config.MailSettings) -> None:
    """Connect, secure and sign in, without sending anything (`kiosk doctor`)."""
    def noop(client) -> None:
        code, _ = client.noop()
        if code != 250:
            raise smtplib.SMTPResponseException(code, b"NOOP")

    _session(settings, noop)
