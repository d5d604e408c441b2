"""With PostgreSQL, `flask backup` prints the pg_dump and pg_restore commands: they work."""

import shlex
import shutil
import subprocess

import pytest
from sqlalchemy import func, select, text

from jichikai.extensions import db
from jichikai.org.models import Association, Household, Member


def _postgresql_tools_or_skip(app) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the pg_dump commands are for PostgreSQL")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore not installed (apt-get install -y postgresql-client)")


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Association, Household, Member)
    }


def _printed_command(runner, *args: str) -> list[str]:
    result = runner.invoke(args=["backup", *args])
    assert result.exit_code == 1  # nothing done by the app itself
    (command,) = [line for line in result.stdout.splitlines() if line.startswith("pg_")]
    return shlex.split(command)


def test_the_printed_commands_back_up_and_restore_the_database(app, world, runner, tmp_path):
    _postgresql_tools_or_skip(app)
    before = _counts()
    member_id, name = world.member.id, world.member.name
    dump = tmp_path / "jichikai.pgdump"

    subprocess.run(_printed_command(runner, "create", str(dump)), check=True, timeout=120)
    assert dump.stat().st_size > 0

    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    db.engine.dispose()

    subprocess.run(_printed_command(runner, "restore", str(dump)), check=True, timeout=120)
    db.engine.dispose()  # no connection keeps plans of the dropped tables
    assert _counts() == before
    assert db.session.get(Member, member_id).name == name
