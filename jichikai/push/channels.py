"""The channels the worker sends the outbox by: Web Push here, others in their features.

A feature that sends outbox rows of its own channel lists it in `jichikai/<feature>/channels.py`
as `CHANNELS = [Channel(...)]`. The worker runs one sender loop per channel, in its own thread,
so a slow SMTP server never holds back a disaster alert on another channel; `flask outbox
send-pending` (and the older `flask push send-pending`) runs each once.

`Channel.open(app)` builds the channel's sender, or raises `ChannelOff` with the reason when
the channel is not configured (no VAPID subject, say): the worker logs the reason once and
tries again later.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask import Flask

from ..features import feature_modules


class ChannelOff(Exception):
    """The channel cannot send: not configured. The message says what to set."""


class ChannelSender(Protocol):
    def send_pending(self, max_batches: int | None = None): ...  # -> a summary with .batches

    def close(self) -> None: ...


@dataclass(frozen=True)
class Channel:
    name: str
    open: Callable[[Flask], ChannelSender]


class PushChannelSender:
    """Web Push as a ChannelSender: delivery.send_pending with one pooled Sender."""

    def __init__(self, app: Flask) -> None:
        from .delivery import make_sender

        self.sender = make_sender(app)

    def send_pending(self, max_batches: int | None = None):
        from .delivery import send_pending

        return send_pending(self.sender, max_batches=max_batches)

    def close(self) -> None:
        self.sender.close()


PUSH = Channel("push", PushChannelSender)


def all_channels() -> list[Channel]:
    """Web Push first, then every feature's channels."""
    channels = [PUSH]
    for module in feature_modules("channels"):
        for channel in getattr(module, "CHANNELS", []):
            if channel.name not in {c.name for c in channels}:
                channels.append(channel)
    return channels
