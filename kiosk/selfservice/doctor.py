"""`kiosk doctor`'s check of the kiosk's mail server, which sends the one-time codes of the
look-up by email (selfservice.lookup_by_contact): it connects, secures and signs in, and sends
nothing."""

from __future__ import annotations

from kiosk.ops.doctor import FAIL, OK, Context, Result, check
from kiosk.selfservice.mail import MailError, check_server

NAME = "one-time codes"


@check(NAME)
def _mail(ctx: Context) -> Result:
    s = ctx.settings.selfservice
    if not s.lookup_by_contact:
        return Result(NAME, OK, "Look-up by email is off (selfservice.lookup_by_contact), so no mail server is needed.")
    where = f"{s.mail.host}:{s.mail.port} ({s.mail.security})"
    try:
        check_server(s.mail)
    except MailError as exc:
        return Result(NAME, FAIL, f"Look-up by email is on, but {exc}: {where}. Shoppers asking for a code get none.",
                      "Check selfservice.mail (host, port, security, username, password_file) with the store's "
                      "mail provider, or set selfservice.lookup_by_contact = false.")
    return Result(NAME, OK, f"The mail server for one-time codes answers and accepts the sign-in: {where}.")
