"""`flask passkeys ...`: the operator's way back in for an association's only admin."""

import click
from sqlalchemy import select

from ..extensions import db
from ..org.models import Member
from .passkeys import recover_passkeys


@click.group("passkeys", help="Passkeys of officers and admins.")
def passkeys_cli() -> None:
    pass


@passkeys_cli.command("recover")
@click.argument("email")
def recover(email: str) -> None:
    """Remove every passkey of the member with EMAIL (audit-logged), e.g. a sole admin's."""
    member = db.session.scalars(select(Member).where(Member.email == email.strip().lower())).first()
    if member is None:
        raise click.ClickException(f"no member with the email {email}")
    removed = recover_passkeys(member, by=None)
    db.session.commit()
    click.echo(f"removed {removed} passkey(s) of {member.email}; they log in with their password")
    click.echo("and register a new passkey.")
