"""Small factories for tests: make_household(block, paper_only=True) and friends."""

from dataclasses import dataclass

from jichikai.auth.services import set_password, start_device
from jichikai.extensions import db
from jichikai.org.models import Association, Block, Household, Member
from jichikai.org.services import (
    assign_role,
    create_association,
    create_block,
    create_household,
    create_member,
)

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_association(name: str | None = None) -> tuple[Association, Member]:
    n = _next()
    association, admin = create_association(
        name or f"テスト自治会{n}",
        f"admin{n}@example.jp",
        f"管理 太郎{n}",
        "さいたま市桜区",
        center=(35.8530, 139.6100),
    )
    set_password(admin, "admin-password")
    return association, admin


def make_block(association: Association, name: str | None = None) -> Block:
    return create_block(association, name or f"{_next()}班")


def make_household(block: Block, **fields) -> Household:
    n = _next()
    fields.setdefault("phone", f"048-000-{n:04d}")
    return create_household(block, fields.pop("name", f"世帯{n}"), **fields)


def make_member(household: Household, **fields) -> Member:
    return create_member(household, fields.pop("name", f"会員 {_next()}"), **fields)


def login(client, member: Member) -> None:
    """Log the test client in as `member` through a real device record."""
    device = start_device(member, "test")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = device.session_id
        session["_fresh"] = True


@dataclass
class World:
    association: Association
    block: Block
    other_block: Block
    household: Household
    paper_household: Household
    other_household: Household
    member: Member
    housemate: Member
    leader: Member
    other_leader: Member
    officer: Member
    admin: Member
    outsider_association: Association
    outsider_block: Block
    outsider_household: Household
    outsider: Member

    def by_role(self, role: str) -> Member | None:
        return None if role == "anonymous" else getattr(self, role)


def build_world() -> World:
    association, admin = make_association("ひがし自治会")
    block = make_block(association, "1班")
    other_block = make_block(association, "2班")
    household = make_household(block, name="佐藤家")
    paper_household = make_household(block, name="鈴木家", paper_only=True)
    other_household = make_household(other_block, name="田中家")
    member = make_member(household, name="佐藤 花子")
    housemate = make_member(household, name="佐藤 一郎")
    make_member(paper_household, name="鈴木 トメ")
    leader_home = make_household(block, name="高橋家")
    leader = make_member(leader_home, name="高橋 健太")
    other_leader = make_member(other_household, name="田中 誠")
    officer_home = make_household(other_block, name="伊藤家")
    officer = make_member(officer_home, name="伊藤 恵子", email="officer@example.jp")
    set_password(officer, "officer-password")
    admin.household_id = officer_home.id
    assign_role(leader, "leader", by=admin, block=block)
    assign_role(other_leader, "leader", by=admin, block=other_block)
    assign_role(officer, "officer", by=admin)

    outsider_association, _outsider_admin = make_association("にし自治会")
    outsider_block = make_block(outsider_association, "1班")
    outsider_household = make_household(outsider_block, name="山田家")
    outsider = make_member(outsider_household, name="山田 茂")
    db.session.flush()
    return World(
        association=association,
        block=block,
        other_block=other_block,
        household=household,
        paper_household=paper_household,
        other_household=other_household,
        member=member,
        housemate=housemate,
        leader=leader,
        other_leader=other_leader,
        officer=officer,
        admin=admin,
        outsider_association=outsider_association,
        outsider_block=outsider_block,
        outsider_household=outsider_household,
        outsider=outsider,
    )
