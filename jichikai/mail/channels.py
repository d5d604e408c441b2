"""Email as a channel of the worker (push/channels.py)."""

from flask import Flask

from ..push.channels import Channel, ChannelOff
from .settings import MailSettingsError


def open_email(app: Flask):
    """The email sender; ChannelOff when the MAIL_* settings cannot work."""
    from .delivery import MailChannelSender

    try:
        return MailChannelSender(app)
    except MailSettingsError as error:
        raise ChannelOff(str(error)) from error


CHANNELS = [Channel("email", open_email)]
