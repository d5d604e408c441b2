"""The LINE channel for the worker's sender loops (see push/channels.py)."""

from ..push.channels import Channel
from .delivery import open_sender

CHANNELS = [Channel("line", open_sender)]
