"""`flask jma poll`: one pass over the JMA feeds, printing what was found and done."""

import click
from flask import current_app

from ..database import utcnow
from ..extensions import db


@click.group("jma", help="Official JMA (気象庁) messages.")
def jma_cli() -> None:
    pass


@jma_cli.command("poll")
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    metavar="URL",
    help="Poll this Atom feed instead of JMA_FEEDS (may be repeated).",
)
def poll_command(feeds: tuple[str, ...]) -> None:
    """Poll the feeds once: fetch new messages, start or propose events."""
    from .poll import feeds_from_config, options_from_config, poll

    report = poll(
        list(feeds) or feeds_from_config(current_app.config),
        now=utcnow(),
        options=options_from_config(current_app.config),
    )
    db.session.commit()
    for line in report.lines:
        click.echo(line)
    click.echo(report.summary())
