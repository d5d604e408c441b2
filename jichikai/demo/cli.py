"""`flask demo`: create the demo association and print its logins."""

import click
from flask import current_app, url_for
from sqlalchemy import select

from ..extensions import db
from ..org.models import Association
from .seed import DEMO_PASSWORD, find_demo, seed_demo


@click.command("demo")
@click.option("--base-url", default=None, help="Base of the printed login links.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Only in an empty database: a server with real associations is left alone.",
)
def demo_command(base_url: str | None, if_empty: bool) -> None:
    """Create the demo association (once) and print ROLE<TAB>NAME<TAB>LOGIN_URL per account."""
    if if_empty and find_demo() is None and db.session.scalar(select(Association.id).limit(1)):
        click.echo("# the database holds associations: the demo is not created", err=True)
        return
    association, accounts = seed_demo()
    db.session.commit()
    base = (base_url or current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context():
        for account in accounts:
            path = url_for("auth.card", token=account.token)
            click.echo(f"{account.role}\t{account.member.name}\t{base}{path}")
    click.echo(
        f"# {association.name}: officers can also log in with their email and "
        f"the password {DEMO_PASSWORD!r}",
        err=True,
    )
