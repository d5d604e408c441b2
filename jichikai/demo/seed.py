"""The demo association in さいたま市桜区: blocks, households, members and roles."""

import json
import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..auth.services import issue_card, set_password
from ..extensions import db
from ..features import feature_modules
from ..org.models import Association, Member
from ..org.services import (
    assign_role,
    blocks_of,
    create_association,
    create_block,
    create_household,
    create_member,
)

DEMO_NAME = "田島ひがし自治会（見本）"
DEMO_ADMIN_EMAIL = "admin@demo.jichikai.example"
DEMO_PASSWORD = "demo-password"
DEMO_TOWNS = [f"田島{n}丁目" for n in "一二三四五六七八九"] + ["田島十丁目"]
BLOCK_COUNT = 8
HOUSEHOLDS_PER_BLOCK = 10

SURNAMES = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
]
GIVEN_NAMES = [
    ("一郎", "イチロウ"),
    ("花子", "ハナコ"),
    ("健太", "ケンタ"),
    ("美咲", "ミサキ"),
    ("大輔", "ダイスケ"),
    ("陽子", "ヨウコ"),
    ("翔", "ショウ"),
    ("さくら", "サクラ"),
    ("茂", "シゲル"),
    ("トメ", "トメ"),
    ("誠", "マコト"),
    ("恵子", "ケイコ"),
]


@dataclass
class DemoAccount:
    role: str
    member: Member
    token: str


def towns() -> list[dict]:
    """The 町丁目 of 桜区 with their coordinates (geolonia/japanese-addresses, CC BY 4.0)."""
    path = Path(__file__).parent / "data" / "sakura-ku_towns.json"
    return json.loads(path.read_text(encoding="utf-8"))


def find_demo() -> Association | None:
    admin = db.session.scalars(select(Member).where(Member.email == DEMO_ADMIN_EMAIL)).first()
    return admin.association if admin else None


def seed_demo() -> tuple[Association, list[DemoAccount]]:
    """Create the demo association once; (re-)issue the demo accounts' cards every time."""
    association = find_demo() or _create_demo()
    accounts = []
    for role, member in _demo_accounts(association):
        _card, token, _code = issue_card(member)
        accounts.append(DemoAccount(role, member, token))
    return association, accounts


def _create_demo() -> Association:
    association = _create_organisation()
    # Each feature may add its own demo content in jichikai/<feature>/demo.py: seed(association).
    for module in feature_modules("demo"):
        module.seed(association)
    return association


def _create_organisation() -> Association:
    rng = random.Random(2022)
    chosen = [t for t in towns() if t["town"] in DEMO_TOWNS]
    center = (
        round(sum(t["lat"] for t in chosen) / len(chosen), 6),
        round(sum(t["lng"] for t in chosen) / len(chosen), 6),
    )
    association, admin = create_association(
        DEMO_NAME, DEMO_ADMIN_EMAIL, "田島 一郎", "埼玉県さいたま市桜区", center=center
    )
    admin.kana = "タジマ イチロウ"
    set_password(admin, DEMO_PASSWORD)

    blocks = [create_block(association, f"{n}班") for n in range(1, BLOCK_COUNT + 1)]
    for b_index, block in enumerate(blocks):
        chosen_town = chosen[b_index % len(chosen)]
        town = chosen_town["town"]
        for h_index in range(HOUSEHOLDS_PER_BLOCK):
            surname, surname_kana = SURNAMES[(b_index * 7 + h_index) % len(SURNAMES)]
            elderly_alone = h_index in (3, 8)
            household = create_household(
                block,
                f"{surname}家",
                town=town,
                address_line=f"{town}{rng.randint(1, 20)}-{rng.randint(1, 30)}",
                position=h_index + 1,
                people_count=1 if elderly_alone else rng.randint(2, 5),
                phone=f"048-000-{rng.randint(1000, 9999)}",
                paper_only=elderly_alone or h_index == 6,
                needs_assistance=h_index == 8,
                assistance_note="足が不自由で、ひとりでは避難できません。" if h_index == 8 else "",
            )
            # Near the town's representative point (a made-up home, like the address).
            spread = random.Random(f"home-{b_index}-{h_index}")
            household.lat = round(chosen_town["lat"] + spread.uniform(-0.0015, 0.0015), 6)
            household.lon = round(chosen_town["lng"] + spread.uniform(-0.0015, 0.0015), 6)
            people = 1 if elderly_alone else min(household.people_count, 3)
            for p_index in range(people):
                given, given_kana = GIVEN_NAMES[
                    (h_index * 3 + p_index + b_index) % len(GIVEN_NAMES)
                ]
                create_member(
                    household,
                    f"{surname} {given}",
                    kana=f"{surname_kana} {given_kana}",
                )

    # Block 1's first household hosts the admin; the officer and leaders live in their blocks.
    admin.household_id = blocks[0].households[0].id
    officer = blocks[1].households[0].members[0]
    officer.email = "officer@demo.jichikai.example"
    set_password(officer, DEMO_PASSWORD)
    assign_role(officer, "officer", by=admin)
    for block in blocks:
        assign_role(block.households[1].members[0], "leader", by=admin, block=block)
    db.session.flush()
    return association


def _demo_accounts(association: Association) -> list[tuple[str, Member]]:
    """The accounts printed for people trying the demo."""
    first_block = blocks_of(association.id)[0]
    admin = db.session.scalars(select(Member).where(Member.email == DEMO_ADMIN_EMAIL)).one()
    officer = db.session.scalars(
        select(Member).where(Member.email == "officer@demo.jichikai.example")
    ).one()
    leader = first_block.households[1].members[0]
    member = first_block.households[2].members[0]
    return [("admin", admin), ("officer", officer), ("leader", leader), ("member", member)]
