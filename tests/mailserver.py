"""A real SMTP server for the tests (aiosmtpd on a free loopback port) that keeps what it receives."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator

from aiosmtpd.controller import Controller

from browser import free_port


class Inbox:
    """What the server accepted, in order; ``hold`` makes it stall on RCPT TO for one address."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.hold: str | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold and address == self.hold and not self.release.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Inbox, str]]:
    """A running server and its URL for JUDGING_SMTP_URL, for the length of the block."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        inbox.release.set()
        controller.stop()
