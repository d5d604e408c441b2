"""`flask shelters ...`: importing the official shelter data."""

from pathlib import Path

import click

from ..extensions import db
from .shelters import MAX_ERRORS_SHOWN, ShelterImportError, import_shelters


@click.group("shelters", help="Import official evacuation shelter data.")
def shelters_cli() -> None:
    pass


@shelters_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import a GSI or Digital Agency shelter CSV (UTF-8, UTF-8 with BOM or Shift_JIS)."""
    try:
        result = import_shelters(path.read_bytes())
    except ShelterImportError as error:
        db.session.rollback()
        for line, message in error.errors[:MAX_ERRORS_SHOWN]:
            click.echo(f"line {line}: {message}", err=True)
        if len(error.errors) > MAX_ERRORS_SHOWN:
            click.echo(f"... {len(error.errors) - MAX_ERRORS_SHOWN} more", err=True)
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{result.format}: {result.created} created, {result.updated} updated")
