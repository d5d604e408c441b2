"""`flask association ...`: commands for the platform operator."""

import secrets

import click

from ..extensions import db
from .services import OrgError, create_association


@click.group("association", help="Create and list associations.")
def association_cli() -> None:
    pass


@association_cli.command("create")
@click.option("--name", required=True, help="The association's name, e.g. 桜ヶ丘自治会.")
@click.option("--admin-email", required=True, help="Email of its first admin.")
@click.option("--admin-name", default="", help="Name of its first admin.")
@click.option("--municipality", default="", help="e.g. さいたま市桜区.")
@click.option("--password", default=None, help="The admin's password (random if omitted).")
def create(name, admin_email, admin_name, municipality, password) -> None:
    """Create an association and its first admin, and print how the admin logs in."""
    from ..auth.services import set_password

    try:
        association, admin = create_association(name, admin_email, admin_name, municipality)
    except OrgError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    password = password or secrets.token_urlsafe(12)
    set_password(admin, password)
    db.session.commit()
    click.echo(f"association {association.id}\t{association.name}")
    click.echo(f"admin\t{admin.email}\t{password}")


@association_cli.command("list")
def list_associations() -> None:
    """List associations with their member counts."""
    from sqlalchemy import func, select

    from .models import Association, Member

    rows = db.session.execute(
        select(Association.id, Association.name, func.count(Member.id))
        .outerjoin(Member, Member.association_id == Association.id)
        .group_by(Association.id, Association.name)
        .order_by(Association.id)
    )
    for association_id, name, count in rows:
        click.echo(f"{association_id}\t{name}\t{count}")


@click.group("roster", help="Import an association's roster (CSV).")
def roster_cli() -> None:
    pass


@roster_cli.command("import")
@click.option("--association", "association_id", type=int, required=True, help="Association id.")
@click.option("--apply", "apply_", is_flag=True, help="Import; without it, only show the preview.")
@click.argument("file", type=click.File("rb"))
def import_roster(association_id: int, apply_: bool, file) -> None:
    """Check a roster file and, with --apply, import it all-or-nothing."""
    from . import roster
    from .models import Association

    association = db.session.get(Association, association_id)
    if association is None:
        raise click.ClickException(f"no association {association_id}")
    try:
        text, encoding = roster.decode(file.read(roster.MAX_BYTES + 1))
        plan = roster.plan(association, roster.parse(text, encoding), by=None)
    except roster.RosterError as error:
        raise click.ClickException(str(error)) from error
    for error in plan.errors:
        click.echo(f"line {error.line}: {error.message}", err=True)
    if plan.errors:
        raise click.ClickException(f"{len(plan.errors)} errors; nothing imported")
    totals = plan.totals()
    for block in plan.blocks:
        click.echo(
            f"{block.name}{' (new)' if block.is_new else ''}\t"
            f"households +{block.count('new_households')} ~{block.count('updated_households')}\t"
            f"members +{block.count('new_members')} ~{block.count('updated_members')}"
        )
    if not apply_:
        click.echo("preview only; run again with --apply to import")
        return
    roster.apply(association, plan, by=None)
    roster.record_import(association, None, getattr(file, "name", ""), plan, totals)
    db.session.commit()
    click.echo(
        f"imported: {totals['new_households']} new households, {totals['new_members']} new members"
    )


@roster_cli.command("locate")
@click.option("--association", "association_id", type=int, required=True, help="Association id.")
@click.option(
    "--delay", default=1.0, show_default=True, help="Seconds between requests (Nominatim: 1)."
)
def locate_households(association_id: int, delay: float) -> None:
    """Find the place of each household with an address and no place yet (GEOCODER)."""
    import time

    from sqlalchemy import select

    from .geocoding import LocationError, geocoder, locate_household
    from .models import Association, Household

    if db.session.get(Association, association_id) is None:
        raise click.ClickException(f"no association {association_id}")
    if geocoder() is None:
        raise click.ClickException("GEOCODER is not set (gsi or nominatim); see docs/maps.md")
    households = db.session.scalars(
        select(Household)
        .where(
            Household.association_id == association_id,
            Household.lat.is_(None),
            (Household.town != "") | (Household.address_line != ""),
        )
        .order_by(Household.id)
    ).all()
    found = 0
    for index, household in enumerate(households):
        if index and delay > 0:
            time.sleep(delay)  # the public services allow about one request per second
        try:
            lat, lon = locate_household(household, by=None)
        except LocationError as error:
            db.session.rollback()
            click.echo(f"{household.id}\t{household.name}\tnot found: {error}")
            continue
        db.session.commit()
        found += 1
        click.echo(f"{household.id}\t{household.name}\t{lat},{lon}")
    click.echo(f"{found} of {len(households)} households located")
