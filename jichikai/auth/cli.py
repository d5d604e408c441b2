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
@click.option(
    "--association",
    "association_id",
    type=int,
    default=None,
    help="Association id; needed when the email is used in several associations.",
)
@click.argument("email")
def recover(email: str, association_id: int | None) -> None:
    """Remove every passkey of the member with EMAIL (audit-logged), e.g. a sole admin's."""
    query = select(Member).where(Member.email == email.strip().lower())
    if association_id is not None:
        query = query.where(Member.association_id == association_id)
    members = list(db.session.scalars(query.order_by(Member.association_id)))
    if not members:
        raise click.ClickException(f"no member with the email {email}")
    if len(members) > 1:
        # Login emails are unique per association only: never guess whose passkeys go.
        ids = ", ".join(str(m.association_id) for m in members)
        raise click.ClickException(
            f"{email} is used in associations {ids}: choose one with --association"
        )
    [member] = members
    removed = recover_passkeys(member, by=None)
    db.session.commit()
    click.echo(f"removed {removed} passkey(s) of {member.email}; they log in with their password")
    click.echo("and register a new passkey.")
