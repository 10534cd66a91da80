"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), with the misbehaviours the outbox
must survive: refusing a recipient, dropping the connection in the middle of a message or
after its final dot, and killing the sending process right after accepting a message."""
from __future__ import annotations

import os
import signal
import socket
import threading
from collections import Counter
from email import message_from_bytes
from email.policy import default as default_policy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """An aiosmtpd handler that keeps every message it accepts, in order.

    ``refuse``: {address: "550 ..."} answers RCPT TO for that address. ``drop_mid_message``:
    that many next DATA phases are cut after the first bytes of the message.
    ``drop_after_dot``: that many next messages are kept, then the connection is closed
    without an answer. ``kill_after``: {n: pid} SIGKILLs pid once the n-th message is kept,
    before the server answers (the sender dies after the server has the message).
    ``delay``: seconds to wait before answering each message.
    """

    def __init__(self):
        self.messages = []
        self.connections = 0
        self.refuse: dict[str, str] = {}
        self.drop_mid_message = 0
        self.drop_after_dot = 0
        self.kill_after: dict[int, int] = {}
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import asyncio

        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
            number = len(self.messages)
            drop = self.drop_after_dot > 0
            if drop:
                self.drop_after_dot -= 1
        pid = self.kill_after.pop(number, None)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        if drop:
            server.transport.close()
            return "451 never seen: the connection is closed"
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def to(self, address: str):
        return [message for rcpt, message in self.messages if address in rcpt]

    def message_ids(self) -> Counter:
        return Counter(message["Message-ID"] for _, message in self.messages)


def start(sink: Sink):
    """Start aiosmtpd for ``sink`` on a free port; returns the controller (``.port``)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class CuttingSMTP(SMTP):
        async def smtp_DATA(self, arg):  # noqa: N802 - aiosmtpd's name
            if sink.drop_mid_message > 0 and self.envelope.rcpt_tos:
                sink.drop_mid_message -= 1
                await self.push("354 End data with <CR><LF>.<CR><LF>")
                await self._reader.read(4096)  # the start of the message, then hang up
                self.transport.close()
                return None
            return await super().smtp_DATA(arg)

    class CuttingController(Controller):
        def factory(self):
            return CuttingSMTP(self.handler, **self.SMTP_kwargs)

    controller = CuttingController(sink, hostname="127.0.0.1", port=free_port(),
                                   data_size_limit=64 * 1024 * 1024)
    controller.start()
    sink.port = controller.port
    return controller
