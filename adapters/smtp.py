"""Sending an e-mail through an SMTP server (smtplib): the settings' server, port, security
(STARTTLS, SMTPS or none), login and sender.

`SmtpMailer.send` raises `catalog.notify.MailUnavailableError` for anything that keeps the
message from being accepted (connection refused, timeout, TLS or login failure, refusal): the
outbox (catalog/notify.py) then keeps the message and tries again later. Tests point it at a
local server (aiosmtpd) with QP_SMTP_SECURITY=none. Nothing is logged here: the caller logs an
error's kind, never an address or a body.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from catalog.notify import Mail, MailUnavailableError
from settings import NotifySettings


class SmtpMailer:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security == "ssl":
            return smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout,
                context=ssl.create_default_context(),
            )
        client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        if s.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, mail: Mail) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = ", ".join(mail.recipients)
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        domain = s.smtp_from.rpartition("@")[2].strip("> ") or None
        message["Message-ID"] = make_msgid(domain=domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
        message.set_content(mail.body)
        try:
            with self._connect() as client:
                if s.smtp_user:
                    client.login(s.smtp_user, s.smtp_password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailUnavailableError(type(error).__name__) from error
