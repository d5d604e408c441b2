"""The demo association and the operator's `association create` command."""

from sqlalchemy import func, select

from jichikai.auth.services import member_for_token
from jichikai.org.models import Association, Block, Household, Member


def _logins(output: str) -> dict[str, tuple[str, str]]:
    rows = [line.split("\t") for line in output.strip().splitlines()]
    assert all(len(row) == 3 for row in rows), output
    return {role: (name, url) for role, name, url in rows}


def test_demo_creates_the_association_and_prints_one_login_per_role(runner):
    from jichikai.extensions import db

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    logins = _logins(result.stdout)
    assert set(logins) >= {"admin", "officer", "leader", "member"}
    assert all(url.startswith("http://127.0.0.1:5000/c/") for _name, url in logins.values())

    association = db.session.scalars(select(Association)).one()
    assert "桜区" in association.municipality
    blocks = db.session.scalar(select(func.count(Block.id)))
    households = db.session.scalar(select(func.count(Household.id)))
    assert blocks >= 6 and households >= 60
    assert db.session.scalar(select(func.count()).where(Household.paper_only.is_(True))) > 0
    assert db.session.scalar(select(func.count()).where(Household.needs_assistance.is_(True))) > 0

    member = member_for_token(logins["leader"][1].rsplit("/", 1)[1])
    assert member.is_leader


def test_demo_is_idempotent_and_reissues_the_cards(runner):
    from jichikai.extensions import db

    first = _logins(runner.invoke(args=["demo"]).stdout)
    second = _logins(runner.invoke(args=["demo"]).stdout)
    assert db.session.scalar(select(func.count(Association.id))) == 1
    assert member_for_token(first["member"][1].rsplit("/", 1)[1]) is None
    assert member_for_token(second["member"][1].rsplit("/", 1)[1]) is not None


def test_demo_if_empty_leaves_a_real_server_alone(runner):
    from jichikai.extensions import db

    runner.invoke(
        args=["association", "create", "--name", "本物の自治会", "--admin-email", "a@example.jp"]
    )
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert db.session.scalar(select(func.count(Association.id))) == 1


def test_association_create_prints_the_admin_login(runner):
    from jichikai.extensions import db

    result = runner.invoke(
        args=[
            "association",
            "create",
            "--name",
            "桜ヶ丘自治会",
            "--admin-email",
            "Kaichou@Example.jp",
        ]
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalars(select(Member)).one()
    assert admin.email == "kaichou@example.jp"
    assert admin.is_admin and admin.password_hash
    assert "kaichou@example.jp" in result.stdout


def test_association_create_refuses_a_taken_email(runner):
    args = ["association", "create", "--name", "A", "--admin-email", "same@example.jp"]
    runner.invoke(args=args)
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "already in use" in result.output
