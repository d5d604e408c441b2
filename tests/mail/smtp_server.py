"""An SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives and answers as told.

- `received`: every accepted message (envelope sender, recipients, raw bytes, connection no.).
- `connections`: how many clients said EHLO/HELO (the Controller's own start-up probe never
  does, so it is not counted).
- `answer(address, "550 5.1.1 User unknown")`: RCPT TO that address gets this answer,
  `times` times (None = always); `answer_data(...)` the same after DATA.
- `stop()` then `start()`: connections are refused in between (same port).
- `latency`: seconds the server waits before answering each command (EHLO, MAIL, RCPT, DATA,
  RSET, QUIT), as a distant or busy relay would.
"""

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    connection: int

    def parsed(self):
        """The message as email.parser reads it (modern policy: headers decoded)."""
        return email.message_from_bytes(self.data, policy=email.policy.default)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Handler:
    def __init__(self, server: "SmtpServer") -> None:
        self.server = server

    async def _wait(self) -> None:
        if self.server.latency:
            await asyncio.sleep(self.server.latency)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        await self._wait()
        session.number = self.server._new_connection()
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        await self._wait()
        session.number = self.server._new_connection()
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self._wait()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._wait()
        answer = self.server._scripted(self.server.rcpt_answers, address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await self._wait()
        for address in envelope.rcpt_tos:
            answer = self.server._scripted(self.server.data_answers, address)
            if answer:
                return answer
        with self.server.lock:
            self.server.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content or envelope.content),
                    getattr(session, "number", 0),
                )
            )
        return "250 Message accepted for delivery"

    async def handle_RSET(self, server, session, envelope):
        await self._wait()
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        await self._wait()
        return "221 Bye"


class SmtpServer:
    def __init__(self, latency: float = 0.0, port: int | None = None) -> None:
        self.latency = latency
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.received: list[Received] = []
        self.connections = 0
        self.rcpt_answers: dict[str, list] = {}
        self.data_answers: dict[str, list] = {}
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self._controller = Controller(
            Handler(self), hostname=self.host, port=self.port, decode_data=False
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def answer(self, address: str, reply: str, times: int | None = None) -> None:
        """RCPT TO `address` gets `reply` (e.g. "451 4.3.0 try later"), `times` times."""
        self.rcpt_answers[address.lower()] = [reply, times]

    def answer_data(self, address: str, reply: str, times: int | None = None) -> None:
        self.data_answers[address.lower()] = [reply, times]

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def _new_connection(self) -> int:
        with self.lock:
            self.connections += 1
            return self.connections

    def _scripted(self, answers: dict, address: str) -> str | None:
        with self.lock:
            entry = answers.get(address.lower())
            if entry is None:
                return None
            reply, times = entry
            if times is not None:
                if times <= 0:
                    return None
                entry[1] = times - 1
            return reply
