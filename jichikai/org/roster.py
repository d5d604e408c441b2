"""Importing the association's roster from its own spreadsheet (CSV).

One row per person: block, household, name and the household's details. The file is read
(UTF-8, UTF-8 with BOM or cp932; CRLF or LF), checked as a whole and turned into a plan of what
will be created or updated; applying the plan is all-or-nothing. See docs/roster-import.md.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from ..audit.services import record
from ..database import utcnow
from ..emails import EmailError, normalize_email
from ..extensions import db
from .geocoding import LocationError, check_location
from .models import Association, Block, Household, Member, RosterImport
from .permissions import can_manage_association, can_manage_member
from .services import create_block, set_member_active
from .signals import roster_emails_listed, roster_emails_wanted

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
ENCODINGS = ("utf-8-sig", "cp932")
UNAPPLIED_LIFETIME = timedelta(days=1)

# Column key -> accepted headers (compared after NFKC and lower-casing).
COLUMNS: dict[str, tuple[str, ...]] = {
    "block": ("block", "班", "組", "班名", "組名"),
    "household": ("household", "世帯", "世帯名"),
    "name": ("name", "氏名", "名前", "お名前"),
    "kana": ("kana", "ふりがな", "フリガナ", "よみがな", "ヨミガナ"),
    "phone": ("phone", "電話", "電話番号"),
    "town": ("town", "町丁目", "町名"),
    "address": ("address", "住所", "番地"),
    "people_count": ("people_count", "人数", "世帯人数"),
    "paper_only": ("paper_only", "紙のみ", "紙だけ"),
    "needs_assistance": ("needs_assistance", "要支援", "要支援者"),
    "assistance_note": ("assistance_note", "支援メモ", "支援の内容"),
    "email": ("email", "メール", "メールアドレス"),
    "lat": ("lat", "緯度", "latitude"),
    "lon": ("lon", "経度", "longitude", "lng"),
}
REQUIRED = ("block", "household", "name")
HOUSEHOLD_COLUMNS = (
    "phone",
    "town",
    "address",
    "people_count",
    "paper_only",
    "needs_assistance",
    "assistance_note",
    "lat",
    "lon",
)
# Column key -> household attribute.
HOUSEHOLD_ATTRIBUTES = {
    "phone": "phone",
    "town": "town",
    "address": "address_line",
    "people_count": "people_count",
    "paper_only": "paper_only",
    "needs_assistance": "needs_assistance",
    "assistance_note": "assistance_note",
    "lat": "lat",
    "lon": "lon",
}
MAX_LENGTHS = {
    "block": 100,
    "household": 200,
    "name": 200,
    "kana": 200,
    "phone": 40,
    "town": 200,
    "address": 300,
    "assistance_note": 2000,
    "email": 254,
}
TRUE_VALUES = {"1", "はい", "○", "◯", "〇", "yes", "y", "true", "有", "あり"}
FALSE_VALUES = {"", "0", "いいえ", "×", "✕", "-", "no", "n", "false", "無", "なし"}

_HEADER_KEYS = {
    unicodedata.normalize("NFKC", alias).strip().lower(): key
    for key, aliases in COLUMNS.items()
    for alias in aliases
}


class RosterError(ValueError):
    """The file cannot be read at all (encoding, header, size)."""


@dataclass
class RowError:
    line: int
    message: str
    # Refused by the permission rules rather than a mistake in the file (audited).
    refused: bool = False
    member: Member | None = None  # the registered member the row would have changed


@dataclass
class RosterRow:
    line: int
    values: dict[str, str]


@dataclass
class ParsedRoster:
    encoding: str
    columns: list[str]
    ignored_headers: list[str]
    rows: list[RosterRow]


@dataclass
class HouseholdPlan:
    name: str
    existing: Household | None
    fields: dict
    changes: list[str] = field(default_factory=list)
    new_members: list[dict] = field(default_factory=list)
    updated_members: list[tuple[Member, dict]] = field(default_factory=list)
    unchanged_members: int = 0
    # What `apply` created: the household (when new) and the members of `new_members`.
    created: Household | None = None
    created_members: list[Member] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.existing is None

    @property
    def touched(self) -> bool:
        return self.is_new or bool(self.changes or self.new_members or self.updated_members)


@dataclass
class BlockPlan:
    name: str
    existing: Block | None
    households: list[HouseholdPlan] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.existing is None

    def count(self, what: str) -> int:
        households = self.households
        return {
            "new_households": sum(h.is_new for h in households),
            "updated_households": sum((not h.is_new) and bool(h.changes) for h in households),
            "new_members": sum(len(h.new_members) for h in households),
            "updated_members": sum(len(h.updated_members) for h in households),
        }[what]


@dataclass
class RosterPlan:
    blocks: list[BlockPlan]
    errors: list[RowError]
    ignored_headers: list[str]
    encoding: str
    row_count: int
    columns: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        keys = ("new_households", "updated_households", "new_members", "updated_members")
        totals = {key: sum(b.count(key) for b in self.blocks) for key in keys}
        totals["new_blocks"] = sum(b.is_new for b in self.blocks)
        return totals

    @property
    def has_changes(self) -> bool:
        return any(b.is_new or any(h.touched for h in b.households) for b in self.blocks)


def decode(data: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was in (UTF-8, with BOM, or cp932)."""
    if len(data) > MAX_BYTES:
        raise RosterError(_("ファイルが大きすぎます（1MBまで）。"))
    if b"\x00" in data:
        raise RosterError(
            _("CSVファイルではないようです。表計算ソフトでCSV形式で保存してください。")
        )
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            encoding = "utf-8-bom" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, encoding
    raise RosterError(_("文字コードが読めません。UTF-8かShift_JISのCSVで保存してください。"))


def parse(text: str, encoding: str = "utf-8") -> ParsedRoster:
    """Read the CSV text: the header's columns and one RosterRow per non-empty line."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration as error:
        raise RosterError(_("ファイルが空です。")) from error
    except csv.Error as error:
        raise RosterError(_("1行目が読めません。")) from error

    columns: list[str] = []
    ignored: list[str] = []
    for title in header:
        key = _HEADER_KEYS.get(unicodedata.normalize("NFKC", title).strip().lower(), "")
        if key and key in columns:
            raise RosterError(_("1行目：「%(title)s」の列が二つあります。", title=title.strip()))
        columns.append(key)
        if not key and title.strip():
            ignored.append(title.strip())
    missing = [COLUMNS[key][1] for key in REQUIRED if key not in columns]
    if missing:
        raise RosterError(_("1行目：必要な列がありません：%(columns)s", columns="、".join(missing)))

    rows: list[RosterRow] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise RosterError(_("%(line)d行目が読めません。", line=line)) from error
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise RosterError(_("行が多すぎます（%(max)d行まで）。", max=MAX_ROWS))
        values = {key: cell.strip() for key, cell in zip(columns, cells, strict=False) if key}
        rows.append(RosterRow(line, values))
    present = [key for key in COLUMNS if key in columns]
    return ParsedRoster(encoding, present, ignored, rows)


def _flag(value: str) -> bool | None:
    value = unicodedata.normalize("NFKC", value).strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    return None


def _row_fields(row: RosterRow, columns: list[str], errors: list[RowError]) -> dict | None:
    """The row's values converted and checked; errors are added with the row's line."""
    values = row.values
    found: list[str] = []
    for key in REQUIRED:
        if not values.get(key):
            found.append(_("「%(column)s」がありません", column=COLUMNS[key][1]))
    for key, limit in MAX_LENGTHS.items():
        if len(values.get(key, "")) > limit:
            found.append(
                _(
                    "「%(column)s」が長すぎます（%(max)d文字まで）",
                    column=COLUMNS[key][1],
                    max=limit,
                )
            )
    # An empty cell gives nothing: new rows get the defaults, registered values stay.
    fields: dict = {}
    for key in ("paper_only", "needs_assistance"):
        if values.get(key):
            flag = _flag(values[key])
            if flag is None:
                found.append(
                    _(
                        "「%(column)s」の値「%(value)s」がわかりません（1か0、はいかいいえ）",
                        column=COLUMNS[key][1],
                        value=values[key],
                    )
                )
            fields[key] = flag
    if values.get("people_count"):
        count = unicodedata.normalize("NFKC", values["people_count"]).strip().removesuffix("人")
        if not count.isdigit() or not 1 <= int(count) <= 99:
            found.append(
                _(
                    "「人数」は1から99の数にしてください（「%(value)s」）",
                    value=values["people_count"],
                )
            )
        else:
            fields["people_count"] = int(count)
    if values.get("lat") or values.get("lon"):
        try:
            lat, lon = check_location(
                float(unicodedata.normalize("NFKC", values.get("lat", "")).strip()),
                float(unicodedata.normalize("NFKC", values.get("lon", "")).strip()),
            )
        except ValueError as error:  # LocationError, or not a number at all
            message = str(error) if isinstance(error, LocationError) else ""
            found.append(
                _(
                    "「緯度」「経度」は両方を数字で書いてください（「%(lat)s」「%(lon)s」）%(reason)s",
                    lat=values.get("lat", ""),
                    lon=values.get("lon", ""),
                    reason=message,
                )
            )
        else:
            fields["lat"], fields["lon"] = lat, lon
    email = None
    if values.get("email"):
        try:
            email = normalize_email(values["email"])
        except EmailError as error:
            found.append(
                _(
                    "「メール」の形が正しくありません（「%(value)s」）：%(reason)s",
                    value=values["email"],
                    reason=str(error),
                )
            )
    if found:
        errors.extend(RowError(row.line, message) for message in found)
        return None
    for key in ("phone", "town", "address", "assistance_note", "kana"):
        if values.get(key):
            fields[key] = values[key]
    if email:
        fields["notify_email"] = email
    return fields


def _refusal(by: Member | None, association: Association, member: Member | None) -> str:
    """Why `by` may not make a row's change (the member pages' rules), or "" if they may.

    Adding blocks, households and members and changing households is for the association's
    officers; changing or reactivating a registered member is `can_manage_member` (an admin's
    account: admins only). `by` None is the operator's command line.
    """
    if by is None:
        return ""
    if not can_manage_association(by) or by.association_id != association.id:
        return _("名簿を取り込めるのは役員だけです")
    if member is not None and not can_manage_member(by, member):
        return _(
            "%(name)s さんの登録は変えられません。管理者の登録を変えられるのは管理者だけです",
            name=member.name,
        )
    return ""


def plan(association: Association, parsed: ParsedRoster, *, by: Member | None) -> RosterPlan:
    """Compare the roster with the association's blocks, households and members.

    Each row is checked against what `by` may do (None: the operator's command line); a row
    they may not carry out is an error of its line, like any other.
    """
    errors: list[RowError] = []
    blocks = {
        b.name: b
        for b in db.session.scalars(select(Block).where(Block.association_id == association.id))
    }
    households: dict[tuple[int, str], list[Household]] = {}
    for household in db.session.scalars(
        select(Household).where(Household.association_id == association.id)
    ):
        households.setdefault((household.block_id, household.name), []).append(household)
    members = {
        (m.household_id, m.name): m
        for m in db.session.scalars(
            select(Member).where(
                Member.association_id == association.id, Member.household_id.is_not(None)
            )
        )
    }
    emails = notification_emails(association)

    block_plans: dict[str, BlockPlan] = {}
    household_plans: dict[tuple[str, str], tuple[HouseholdPlan, int]] = {}
    seen_people: dict[tuple[str, str, str], int] = {}
    people_listed: dict[tuple[str, str], int] = {}

    for row in parsed.rows:
        fields = _row_fields(row, parsed.columns, errors)
        if fields is None:
            continue
        refusal = _refusal(by, association, None)
        if refusal:
            errors.append(RowError(row.line, refusal, refused=True))
            continue
        block_name = unicodedata.normalize("NFKC", row.values["block"])
        household_name = row.values["household"]
        person = row.values["name"]

        person_key = (block_name, household_name, person)
        if person_key in seen_people:
            errors.append(
                RowError(
                    row.line,
                    _(
                        "%(line)d行目と同じ人です（班・世帯・氏名が同じ）",
                        line=seen_people[person_key],
                    ),
                )
            )
            continue
        seen_people[person_key] = row.line

        block_plan = block_plans.get(block_name)
        if block_plan is None:
            block_plan = BlockPlan(block_name, blocks.get(block_name))
            block_plans[block_name] = block_plan
        existing_block = block_plan.existing

        household_fields = {
            HOUSEHOLD_ATTRIBUTES[key]: fields[key] for key in HOUSEHOLD_COLUMNS if key in fields
        }
        household_key = (block_name, household_name)
        people_listed[household_key] = people_listed.get(household_key, 0) + 1
        if household_key in household_plans:
            household_plan, first_line = household_plans[household_key]
            conflict = _conflicting(household_plan.fields, household_fields, row.values)
            if conflict:
                errors.append(
                    RowError(
                        row.line,
                        _(
                            "同じ世帯の%(line)d行目と「%(column)s」が違います",
                            line=first_line,
                            column=conflict,
                        ),
                    )
                )
                continue
            for key, value in household_fields.items():
                household_plan.fields.setdefault(key, value)
        else:
            same_name = (
                households.get((existing_block.id, household_name), []) if existing_block else []
            )
            if len(same_name) > 1:
                errors.append(
                    RowError(
                        row.line,
                        _(
                            "%(block)sには「%(household)s」という世帯が二つあります。"
                            "管理画面で名前を区別してください",
                            block=block_name,
                            household=household_name,
                        ),
                    )
                )
                continue
            existing_household = same_name[0] if same_name else None
            household_plan = HouseholdPlan(household_name, existing_household, household_fields)
            household_plans[household_key] = (household_plan, row.line)
            block_plan.households.append(household_plan)

        existing_member = (
            members.get((household_plan.existing.id, person)) if household_plan.existing else None
        )
        # The メール column is the member's notification email (several people of a household
        # may share one); officers' login emails are set on the member's page only.
        member_fields = {key: fields[key] for key in ("kana", "notify_email") if key in fields}
        if existing_member is None:
            household_plan.new_members.append({"name": person, **member_fields})
            continue
        current = {"kana": existing_member.kana, "notify_email": emails.get(existing_member.id)}
        changed = {key: value for key, value in member_fields.items() if current[key] != value}
        if changed or not existing_member.active:
            if not existing_member.active:
                changed["active"] = True
            refusal = _refusal(by, association, existing_member)
            if refusal:
                errors.append(RowError(row.line, refusal, refused=True, member=existing_member))
                continue
            household_plan.updated_members.append((existing_member, changed))
        else:
            household_plan.unchanged_members += 1

    for (_block, _household), (household_plan, _line) in household_plans.items():
        fields = household_plan.fields
        if "people_count" not in fields and household_plan.is_new:
            fields["people_count"] = max(1, people_listed[(_block, _household)])
        if household_plan.existing is not None:
            household_plan.changes = [
                key
                for key, value in fields.items()
                if getattr(household_plan.existing, key) != value
            ]

    errors.sort(key=lambda e: e.line)
    ordered = sorted(
        block_plans.values(),
        key=lambda b: (b.existing is None, b.existing.position if b.existing else 0),
    )
    return RosterPlan(
        ordered,
        errors,
        parsed.ignored_headers,
        parsed.encoding,
        len(parsed.rows),
        parsed.columns,
    )


def notification_emails(association: Association) -> dict[int, str]:
    """{member id: notification email the association gave}, from the features keeping them."""
    found: dict[int, str] = {}
    for _receiver, result in roster_emails_wanted.send(association):
        found.update(result or {})
    return found


def _conflicting(first: dict, again: dict, values: dict) -> str:
    """The header of a household column a later row gives differently (empty = as above)."""
    for column, attribute in HOUSEHOLD_ATTRIBUTES.items():
        if attribute not in again or values.get(column, "") == "":
            continue
        if attribute in first and first[attribute] != again[attribute]:
            return COLUMNS[column][1]
    return ""


def apply(association: Association, roster_plan: RosterPlan, by: Member | None) -> dict[str, int]:
    """Carry out a plan without errors: create blocks, households and members, update the rest.

    A reactivation goes through `set_member_active`, as on the member's page.
    """
    if roster_plan.errors:
        raise ValueError("a roster plan with errors cannot be applied")
    listed: dict[Member, str] = {}
    for block_plan in roster_plan.blocks:
        block = block_plan.existing or create_block(association, block_plan.name)
        last = max((h.position for h in block.households), default=0)
        for household_plan in block_plan.households:
            household = household_plan.existing
            if household is None:
                # Linked through relationships, so that one flush at the end writes everything.
                last += 1
                household = Household(
                    association_id=association.id,
                    block=block,
                    name=household_plan.name,
                    position=last,
                    **household_plan.fields,
                )
                db.session.add(household)
                household_plan.created = household
            else:
                for key in household_plan.changes:
                    setattr(household, key, household_plan.fields[key])
            for values in household_plan.new_members:
                values = dict(values)
                email = values.pop("notify_email", None)
                member = Member(association_id=association.id, household=household, **values)
                db.session.add(member)
                household_plan.created_members.append(member)
                if email:
                    listed[member] = email
            for member, changed in household_plan.updated_members:
                for key, value in changed.items():
                    if key == "notify_email":
                        listed[member] = value
                    elif key != "active":
                        setattr(member, key, value)
    db.session.flush()
    for block_plan in roster_plan.blocks:
        for household_plan in block_plan.households:
            for member, changed in household_plan.updated_members:
                if changed.get("active"):
                    set_member_active(member, True, by=by)
    # After reactivations: a reactivated member starts without channels, then gets the
    # address the file gives.
    if listed:
        roster_emails_listed.send(association, emails=listed)
    return roster_plan.totals()


def store_upload(
    association: Association, by: Member, filename: str, text: str, encoding: str
) -> RosterImport:
    """Keep an uploaded roster until it is confirmed; old unconfirmed uploads are dropped."""
    db.session.execute(
        delete(RosterImport).where(
            RosterImport.association_id == association.id,
            RosterImport.applied_at.is_(None),
            RosterImport.created_at < utcnow() - UNAPPLIED_LIFETIME,
        )
    )
    upload = RosterImport(
        association_id=association.id,
        uploaded_by_id=by.id,
        filename=(filename or "")[:200],
        encoding=encoding,
        content=text,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def is_pending(upload: RosterImport) -> bool:
    """An upload that can still be confirmed."""
    return upload.applied_at is None and utcnow() - upload.created_at < UNAPPLIED_LIFETIME


def plan_upload(association: Association, upload: RosterImport, by: Member) -> RosterPlan:
    """The plan for a stored upload, against the data as it is now and what `by` may do."""
    return plan(association, parse(upload.content, upload.encoding), by=by)


def apply_upload(association: Association, upload: RosterImport, by: Member) -> RosterPlan:
    """Apply a stored upload once (a second confirmation changes nothing) and audit it."""
    claimed = db.session.execute(
        update(RosterImport)
        .where(RosterImport.id == upload.id, RosterImport.applied_at.is_(None))
        .values(applied_at=utcnow(), applied_by_id=by.id, content="")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise RosterError(_("この名簿はもう取り込み済みです。"))
    roster_plan = plan_upload(association, upload, by)
    if roster_plan.errors:
        raise RosterError(_("名簿に誤りがあります。直してからもう一度アップロードしてください。"))
    totals = apply(association, roster_plan, by)
    record_import(association, by, upload.filename, roster_plan, totals, upload=upload)
    db.session.flush()
    db.session.refresh(upload)
    return roster_plan


def record_refusals(association: Association, by: Member, roster_plan: RosterPlan) -> bool:
    """Audit the rows of an uploaded roster that `by` was not allowed to apply, if any."""
    refused = [error for error in roster_plan.errors if error.refused]
    if not refused:
        return False
    record(
        "roster.refused",
        association_id=association.id,
        actor=by,
        rows=[
            {
                "line": e.line,
                "id": e.member.id if e.member else None,
                "name": e.member.name if e.member else "",
            }
            for e in refused
        ],
    )
    return True


def record_import(
    association: Association,
    by: Member | None,
    filename: str,
    roster_plan: RosterPlan,
    totals: dict[str, int],
    upload: RosterImport | None = None,
) -> None:
    """Write the audit event of an applied import: its totals and each member and household
    it created or changed (id, name and the fields that changed)."""
    members: list[dict] = []
    households: list[dict] = []
    for block_plan in roster_plan.blocks:
        for household_plan in block_plan.households:
            if household_plan.created is not None:
                households.append(_changed(household_plan.created, ["new"]))
            elif household_plan.changes:
                households.append(_changed(household_plan.existing, household_plan.changes))
            members.extend(_changed(m, ["new"]) for m in household_plan.created_members)
            members.extend(
                _changed(member, sorted(changed))
                for member, changed in household_plan.updated_members
            )
    record(
        "roster.import",
        association_id=association.id,
        actor=by,
        target=upload,
        filename=filename,
        encoding=roster_plan.encoding,
        rows=roster_plan.row_count,
        **totals,
        members=members,
        households=households,
    )


def _changed(thing: Member | Household, changes: list[str]) -> dict:
    return {"id": thing.id, "name": thing.name, "changes": changes}
