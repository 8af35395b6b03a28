"""How messages leave: SMTP (standard library), .eml files in var/outbox/ (the embedded default), SMS adapters."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from judging.settings import Settings

logger = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 30


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer): retrying cannot help."""


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmsAdapter(Protocol):
    """A text-message provider. Plug one in by giving ``transports_for`` another adapter."""

    def send(self, number: str, text: str, *, message_id: str) -> None: ...


class FileTransport:
    """Writes each message to ``folder/<Message-ID>.eml``: sending the same message again rewrites the
    same file, so a retry after a crash leaves one copy."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in ".-_" else "_" for c in message["Message-ID"].strip("<>"))
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(bytes(message))
        os.replace(temporary, self.folder / f"{name}.eml")


class SmtpTransport:
    """smtp://user:pass@host:587?starttls=1, or smtps://… (TLS from the first byte)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("JUDGING_SMTP_URL must look like smtp://user:pass@host:587?starttls=1")
        query = parse_qs(parts.query)
        self.tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.host, self.port = parts.hostname, parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        kwargs = {"context": context} if self.tls else {}
        try:
            with smtp_class(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, **kwargs) as smtp:
                if self.starttls:
                    smtp.starttls(context=context)
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (530, 535):
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise


class LogSms:
    """The default SMS adapter: no provider is configured, so the text is only written to the log."""

    def send(self, number: str, text: str, *, message_id: str) -> None:
        masked = number[:3] + "****" + number[-4:] if len(number) > 7 else "****"
        logger.info("SMS %s to %s (no SMS provider configured; logged only): %s", message_id, masked, text)


def mail_transport(settings: Settings) -> MailTransport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FileTransport(settings.var_dir / "outbox")


def sms_adapter(settings: Settings) -> SmsAdapter:
    return LogSms()
