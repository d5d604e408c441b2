"""Demo channels: a realistic mix of push only, email only (one a feature phone's carrier
address), LINE, several channels and none (the paper households).

The push subscriptions are stand-ins with endpoints that never answer (`.example`): `make run`
sends no Web Push (no VAPID subject), and with push configured the failures remove them
(`push prune`). The LINE user ids are made up; sending to them needs the LINE channel set up
(docs/line.md). Email goes wherever the mail settings say (docs/mail.md).
"""

import base64
import random

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..org.models import Association, Block, Household
from ..push.models import PushSubscription
from .models import (
    CHANNEL_EMAIL,
    CHANNEL_LINE,
    SOURCE_ASSOCIATION,
    SOURCE_CHANNEL,
    SOURCE_MEMBER,
    STATE_FAILED,
    STATE_UNCONFIRMED,
    STATE_WORKING,
    Contact,
)

# Romaji of the demo's surnames and given names, for addresses people would have.
ROMAJI = {
    "佐藤": "sato", "鈴木": "suzuki", "高橋": "takahashi", "田中": "tanaka", "伊藤": "ito",
    "渡辺": "watanabe", "山本": "yamamoto", "中村": "nakamura", "小林": "kobayashi",
    "加藤": "kato", "吉田": "yoshida", "山田": "yamada", "佐々木": "sasaki", "山口": "yamaguchi",
    "松本": "matsumoto", "井上": "inoue", "木村": "kimura", "林": "hayashi", "斎藤": "saito",
    "清水": "shimizu", "田島": "tajima", "一郎": "ichiro", "花子": "hanako", "健太": "kenta",
    "美咲": "misaki", "大輔": "daisuke", "陽子": "yoko", "翔": "sho", "さくら": "sakura",
    "茂": "shigeru", "トメ": "tome", "誠": "makoto", "恵子": "keiko",
}  # fmt: skip


def _romaji(name: str) -> tuple[str, str]:
    surname, _space, given = name.partition(" ")
    return ROMAJI.get(surname, "kaiin"), ROMAJI.get(given, "")


def _p256dh() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def seed(association: Association) -> None:
    """Give the demo's members their channels, household by household."""
    rng = random.Random(2024)
    p256dh = _p256dh()
    households = db.session.scalars(
        select(Household)
        .join(Block, Block.id == Household.block_id)
        .where(Household.association_id == association.id)
        .order_by(Block.position, Household.position)
    ).all()
    contacts: list[Contact] = []
    subscriptions: list[PushSubscription] = []

    def contact(member, channel, address, state=STATE_WORKING, source=SOURCE_ASSOCIATION):
        confirmed = utcnow() if state == STATE_WORKING else None
        contacts.append(
            Contact(
                association_id=association.id,
                member_id=member.id,
                channel=channel,
                address=address,
                state=state,
                source=source,
                confirmed_at=confirmed,
                last_error="550 5.1.1 User unknown" if state == STATE_FAILED else "",
                failures=1 if state == STATE_FAILED else 0,
            )
        )

    def push(member):
        subscriptions.append(
            PushSubscription(
                association_id=association.id,
                member_id=member.id,
                endpoint=f"https://push.demo.jichikai.example/{association.id}/{member.id}",
                p256dh=p256dh,
                auth=base64.urlsafe_b64encode(rng.randbytes(16)).rstrip(b"=").decode(),
                user_agent="Android / Chrome（見本）",
            )
        )

    def line_id() -> str:
        return "U" + "".join(rng.choice("0123456789abcdef") for _ in range(32))

    for index, household in enumerate(households):
        members = household.members
        if household.paper_only or not members:
            continue  # none: the block leader tells them
        surname, given = _romaji(members[0].name)
        family = f"{surname}-ke.{index + 1}@example.jp"
        kind = index % 10
        if kind in (0, 2):
            # One address for the whole household (the association's roster), the first
            # member also on their phone.
            for member in members:
                contact(member, CHANNEL_EMAIL, family)
            push(members[0])
            members[0].preferred_channel = CHANNEL_EMAIL if kind == 0 else None
        elif kind == 1:
            push(members[0])  # push only (the block leader's household)
        elif kind == 4:
            contact(members[0], CHANNEL_LINE, line_id(), source=SOURCE_CHANNEL)  # LINE only
        elif kind == 5:
            push(members[0])
            contact(members[0], CHANNEL_LINE, line_id(), source=SOURCE_CHANNEL)
            members[0].preferred_channel = CHANNEL_LINE
            if len(members) > 1:
                personal = f"{_romaji(members[1].name)[1] or 'kaiin'}.{surname}{index}@example.jp"
                contact(members[1], CHANNEL_EMAIL, personal, STATE_UNCONFIRMED, SOURCE_MEMBER)
        elif kind == 7:
            if index == 7:
                # A feature phone (ガラケー): the carrier's address, an old one with dots in a row.
                contact(members[0], CHANNEL_EMAIL, f"{given or 'kaiin'}..{surname}@docomo.ne.jp")
            elif index == 27:
                contact(members[0], CHANNEL_EMAIL, f"{surname}.old{index}@example.jp", STATE_FAILED)
            else:
                push(members[0])
        # kind 9: a smartphone household that has not set anything up yet.
    db.session.add_all(subscriptions + contacts)
    db.session.flush()
