"""Shelters: importing the official open data, the association's choice, the nearest ones."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from flask_babel import gettext as _
from geopy.distance import geodesic
from sqlalchemy import delete, func, insert, or_, select, update

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..org.models import Association, Member
from .models import (
    FACILITY_EMERGENCY_SITE,
    FACILITY_GATHERING,
    FACILITY_SHELTER,
    FACILITY_TYPES,
    HAZARDS,
    SHELTER_CLOSED,
    SHELTER_FULL,
    SHELTER_OPEN,
    SHELTER_UNKNOWN,
    SOURCE_DA_EMERGENCY,
    SOURCE_GSI_EMERGENCY,
    SOURCE_GSI_SHELTER,
    SOURCE_OWN,
    STATUS_AT_SHELTER,
    AssociationShelter,
    CheckIn,
    EventShelter,
    Shelter,
)

# Hazard columns of GSI's 指定緊急避難場所 CSV, in HAZARDS order.
GSI_HAZARD_COLUMNS = (
    "洪水",
    "崖崩れ、土石流及び地滑り",
    "高潮",
    "地震",
    "津波",
    "大規模な火事",
    "内水氾濫",
    "火山現象",
)
# The Digital Agency's 推奨データセット uses the same names with a prefix.
DA_HAZARD_COLUMNS = tuple(f"災害種別_{name}" for name in GSI_HAZARD_COLUMNS)

# The full header of the Digital Agency's 推奨データセット 指定緊急避難場所一覧.
DA_EMERGENCY_COLUMNS = (
    "全国地方公共団体コード",
    "ID",
    "名称",
    "名称_カナ",
    "名称_英字",
    "所在地_全国地方公共団体コード",
    "町字ID",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
    "標高",
    "電話番号",
    "内線番号",
    "連絡先メールアドレス",
    "連絡先FormURL",
    "連絡先備考（その他、SNSなど）",
    "郵便番号",
    "市区町村コード",
    "地方公共団体名",
    *DA_HAZARD_COLUMNS,
    "指定避難所との重複",
    "想定収容人数",
    "対象となる町会・自治会",
    "URL",
    "画像",
    "画像_ライセンス",
    "備考",
)

MAX_ERRORS_SHOWN = 20


class ShelterImportError(ValueError):
    """A file that cannot be imported; `errors` lists (line, message) and nothing was saved."""

    def __init__(self, message: str, errors: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.errors = errors or []


@dataclass
class ImportResult:
    format: str
    created: int = 0
    updated: int = 0


@dataclass
class ParsedRow:
    line: int
    fields: dict = field(default_factory=dict)


def decode_csv(data: bytes) -> str:
    """The text of a CSV file in UTF-8 (with or without BOM) or Shift_JIS (cp932).

    NUL is in no CSV people save (a UTF-16 or binary file has them) and no text is stored
    with it (PostgreSQL refuses it).
    """
    if b"\x00" in data:
        raise ShelterImportError(
            _("CSVファイルではないようです。表計算ソフトでCSV形式で保存してください。")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as error:
        raise ShelterImportError(
            _("文字コードが読めません。UTF-8 か Shift_JIS の CSV にしてください。")
        ) from error


def detect_format(header: list[str]) -> str:
    """Which official format a header belongs to."""
    names = set(header)
    if {"全国地方公共団体コード", "ID", "名称", "緯度", "経度"} <= names:
        return SOURCE_DA_EMERGENCY
    if {"共通ID", "施設・場所名", "緯度", "経度"} <= names:
        if "受入対象者" in names or "指定緊急避難場所との住所同一" in names:
            return SOURCE_GSI_SHELTER
        if set(GSI_HAZARD_COLUMNS) <= names:
            return SOURCE_GSI_EMERGENCY
    raise ShelterImportError(
        _(
            "この CSV の形式がわかりません。国土地理院の指定緊急避難場所・指定避難所、"
            "またはデジタル庁の推奨データセットの CSV を選んでください。"
        )
    )


def _flag(value: str, column: str) -> bool:
    value = value.strip()
    if value in ("", "0"):
        return False
    if value in ("1", "１"):
        return True
    raise ValueError(
        _("「%(column)s」は 1 か空欄にしてください（%(value)s）。", column=column, value=value)
    )


def _coordinate(value: str, column: str, low: float, high: float) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise ValueError(
            _("「%(column)s」が数値ではありません（%(value)s）。", column=column, value=value)
        ) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(
            _("「%(column)s」の値が範囲外です（%(value)s）。", column=column, value=value)
        )
    return number


def _capacity(value: str) -> int | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    try:
        number = int(float(value))
    except ValueError:
        raise ValueError(
            _(
                "「%(column)s」が数値ではありません（%(value)s）。",
                column="想定収容人数",
                value=value,
            )
        ) from None
    if number < 0:
        raise ValueError(
            _("「%(column)s」の値が範囲外です（%(value)s）。", column="想定収容人数", value=value)
        )
    return number


def _row_fields(source: str, row: dict) -> dict:
    """The Shelter fields of one CSV row (ValueError with a message when it is wrong)."""
    if source == SOURCE_DA_EMERGENCY:
        code = row.get("全国地方公共団体コード", "").strip()
        local_id = row.get("ID", "").strip()
        if not code or not local_id:
            raise ValueError(_("「全国地方公共団体コード」と「ID」が必要です。"))
        external_id = f"{code}:{local_id}"
        name = row.get("名称", "").strip()
        address = row.get("所在地_連結表記", "").strip()
        municipality = (
            row.get("地方公共団体名", "").strip()
            or (row.get("所在地_都道府県", "") + row.get("所在地_市区町村", "")).strip()
        )
        hazard_columns = DA_HAZARD_COLUMNS
        capacity = _capacity(row.get("想定収容人数", ""))
        facility = FACILITY_EMERGENCY_SITE
    else:
        external_id = row.get("共通ID", "").strip()
        if not external_id:
            raise ValueError(_("「共通ID」が空です。"))
        name = row.get("施設・場所名", "").strip()
        address = row.get("住所", "").strip()
        municipality = row.get("都道府県名及び市町村名", "").strip()
        hazard_columns = GSI_HAZARD_COLUMNS if source == SOURCE_GSI_EMERGENCY else ()
        capacity = None
        facility = FACILITY_EMERGENCY_SITE if source == SOURCE_GSI_EMERGENCY else FACILITY_SHELTER
    if not name:
        raise ValueError(_("名前が空です。"))
    if len(name) > 200 or len(address) > 300 or len(external_id) > 80:
        raise ValueError(_("文字数が多すぎます。"))
    hazards = [
        hazard
        for hazard, column in zip(HAZARDS, hazard_columns, strict=False)
        if _flag(row.get(column, ""), column)
    ]
    return {
        "external_id": external_id,
        "facility_type": facility,
        "name": name,
        "address": address,
        "municipality": municipality[:100],
        "lat": _coordinate(row.get("緯度", ""), "緯度", 20.0, 46.0),
        "lon": _coordinate(row.get("経度", ""), "経度", 122.0, 154.0),
        "hazards": ",".join(hazards),
        "capacity": capacity,
        "note": row.get("備考", "").strip(),
    }


def too_many_rows(max_rows: int) -> ShelterImportError:
    return ShelterImportError(
        _(
            "行が多すぎます。取り込めるのは %(max)s 行までです。"
            "お住まいの市区町村の分だけのファイルにしてください。何も取り込んでいません。",
            max=f"{max_rows:,}",
        )
    )


def parse_shelter_csv(data: bytes, max_rows: int | None = None) -> tuple[str, list[ParsedRow]]:
    """Read an official shelter CSV: (format, rows); every bad row is reported by its line.

    A file with more than `max_rows` data rows is refused as soon as the row after the limit
    is read (an officer's upload must finish well within the web server's timeout).
    """
    text = decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ShelterImportError(_("ファイルが空です。")) from None
    except csv.Error as error:
        raise ShelterImportError(_("CSV として読めません（%(error)s）。", error=error)) from None
    source = detect_format(header)

    rows: list[ParsedRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    count = 0
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            count += 1
            if max_rows is not None and count > max_rows:
                raise too_many_rows(max_rows)
            if len(values) != len(header):
                errors.append(
                    (
                        line,
                        _(
                            "列の数が %(count)s です（見出しは %(header)s）。",
                            count=len(values),
                            header=len(header),
                        ),
                    )
                )
                continue
            try:
                fields = _row_fields(source, dict(zip(header, values, strict=True)))
            except ValueError as error:
                errors.append((line, str(error)))
                continue
            key = fields["external_id"]
            if key in seen:
                errors.append(
                    (
                        line,
                        _("ID %(key)s が %(line)s 行目と重なっています。", key=key, line=seen[key]),
                    )
                )
                continue
            seen[key] = line
            rows.append(ParsedRow(line, fields))
    except csv.Error as error:
        errors.append((reader.line_num, _("CSV として読めません（%(error)s）。", error=error)))
    if errors:
        raise ShelterImportError(
            _("%(count)s 行に誤りがあります。何も取り込んでいません。", count=len(errors)), errors
        )
    if not rows:
        raise ShelterImportError(_("取り込む行がありません。"))
    return source, rows


def import_shelters(
    data: bytes,
    association_id: int | None = None,
    by: Member | None = None,
    max_rows: int | None = None,
) -> ImportResult:
    """Create or update shelters from an official CSV, matched by 共通ID / ID (flushes).

    Without `association_id` the rows are the shared official data (the operator's command);
    an officer's upload (`by`) stays the association's own and is audit-logged. A file with
    more than `max_rows` rows changes nothing.
    """
    source, rows = parse_shelter_csv(data, max_rows)
    result = ImportResult(format=source)
    scope = (
        Shelter.association_id.is_(None)
        if association_id is None
        else Shelter.association_id == association_id
    )
    # One query for what is there already (an IN list per chunk of keys made PostgreSQL scan
    # the table once per chunk when its statistics were stale, i.e. right after an import),
    # then one INSERT and one UPDATE statement for all rows (executemany), without ORM objects.
    names = list(rows[0].fields)
    existing = {
        row.external_id: row
        for row in db.session.execute(
            select(Shelter.id, *(getattr(Shelter, name) for name in names)).where(
                scope, Shelter.source == source
            )
        )
    }
    now = utcnow()
    new, changed = [], []
    for row in rows:
        old = existing.get(row.fields["external_id"])
        if old is None:
            new.append(
                {
                    **row.fields,
                    "association_id": association_id,
                    "source": source,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif any(getattr(old, name) != value for name, value in row.fields.items()):
            changed.append({**row.fields, "id": old.id, "updated_at": now})
    if new:
        db.session.execute(insert(Shelter), new)
    if changed:
        db.session.execute(update(Shelter), changed)
    result.created, result.updated = len(new), len(changed)
    if association_id is not None and by is not None:
        record(
            "shelters.import",
            association_id=association_id,
            actor=by,
            format=result.format,
            created=result.created,
            updated=result.updated,
        )
    db.session.flush()
    return result


def add_own_place(
    association: Association,
    *,
    name: str,
    lat: float,
    lon: float,
    address: str = "",
    facility_type: str = FACILITY_GATHERING,
    capacity: int | None = None,
    note: str = "",
) -> Shelter:
    """Add the association's own place (e.g. the 集会所 as 一時集合場所) and choose it."""
    name = name.strip()
    if not name:
        raise ValueError(_("名前を入れてください。"))
    if facility_type not in FACILITY_TYPES:
        raise ValueError(_("種類が正しくありません。"))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(_("緯度・経度が範囲外です。"))
    if capacity is not None and capacity < 0:
        raise ValueError(_("人数は 0 以上にしてください。"))
    shelter = Shelter(
        association_id=association.id,
        source=SOURCE_OWN,
        external_id="",
        facility_type=facility_type,
        name=name[:200],
        address=address.strip()[:300],
        municipality=association.municipality[:100],
        lat=lat,
        lon=lon,
        hazards="",
        capacity=capacity,
        note=note.strip(),
    )
    _lock_choice(association)
    db.session.add(shelter)
    db.session.flush()
    chosen = chosen_shelter_ids(association)
    set_chosen_shelters(association, [*chosen, shelter.id])
    return shelter


def visible_shelters(association_id: int):
    """A select of the shelters an association may choose from: official data and its own."""
    return select(Shelter).where(
        or_(Shelter.association_id.is_(None), Shelter.association_id == association_id)
    )


def shelters_within(association: Association, radius_m: float) -> list[Shelter]:
    """Visible shelters within `radius_m` of the association's centre, nearest first."""
    if association.center_lat is None or association.center_lon is None:
        return []
    centre = (association.center_lat, association.center_lon)
    dlat = radius_m / 111_000
    dlon = radius_m / (111_000 * max(math.cos(math.radians(centre[0])), 0.01))
    candidates = db.session.scalars(
        visible_shelters(association.id).where(
            Shelter.lat.between(centre[0] - dlat, centre[0] + dlat),
            Shelter.lon.between(centre[1] - dlon, centre[1] + dlon),
        )
    )
    found = [(geodesic(centre, (s.lat, s.lon)).meters, s) for s in candidates]
    return [s for distance, s in sorted(found, key=lambda d: d[0]) if distance <= radius_m]


def has_explicit_choice(association_id: int) -> bool:
    return (
        db.session.scalar(
            select(AssociationShelter.id)
            .where(AssociationShelter.association_id == association_id)
            .limit(1)
        )
        is not None
    )


def association_shelters(association: Association) -> list[Shelter]:
    """The association's shelters: its choice, or by default those near its centre."""
    if has_explicit_choice(association.id):
        return list(
            db.session.scalars(
                select(Shelter)
                .join(AssociationShelter, AssociationShelter.shelter_id == Shelter.id)
                .where(AssociationShelter.association_id == association.id)
                .order_by(AssociationShelter.position, Shelter.name)
            )
        )
    return shelters_within(association, float(association.setting("shelter_radius_m")))


def chosen_shelter_ids(association: Association) -> list[int]:
    return [s.id for s in association_shelters(association)]


def is_association_shelter(association_id: int, shelter_id: int) -> bool:
    """Whether members of the association may report being at this shelter (one query when
    the association has chosen its shelters)."""
    chosen = db.session.scalar(
        select(AssociationShelter.id).where(
            AssociationShelter.association_id == association_id,
            AssociationShelter.shelter_id == shelter_id,
        )
    )
    if chosen is not None:
        return True
    if has_explicit_choice(association_id):
        return False
    association = db.session.get(Association, association_id)
    return shelter_id in chosen_shelter_ids(association)


def _lock_choice(association: Association) -> None:
    """Two officers changing the choice at once: the second waits, then reads the first's.

    FOR NO KEY UPDATE, so rows that only refer to the association (a new own place) do not wait.
    """
    db.session.execute(
        select(Association.id)
        .where(Association.id == association.id)
        .with_for_update(key_share=True)
    )


def set_chosen_shelters(association: Association, shelter_ids: Iterable[int]) -> list[int]:
    """Replace the association's choice; ids it may not see are refused (flushes)."""
    wanted = list(dict.fromkeys(int(i) for i in shelter_ids))
    if wanted:
        allowed = set(
            db.session.scalars(
                select(Shelter.id).where(
                    Shelter.id.in_(wanted),
                    or_(Shelter.association_id.is_(None), Shelter.association_id == association.id),
                )
            )
        )
        unknown = [i for i in wanted if i not in allowed]
        if unknown:
            raise ValueError(_("選べない避難所が含まれています。"))
    _lock_choice(association)
    kept = association_capacities(association.id)  # a shelter chosen again keeps its figure
    db.session.execute(
        delete(AssociationShelter).where(AssociationShelter.association_id == association.id)
    )
    for position, shelter_id in enumerate(wanted):
        db.session.add(
            AssociationShelter(
                association_id=association.id,
                shelter_id=shelter_id,
                position=position,
                capacity=kept.get(shelter_id),
            )
        )
    db.session.flush()
    return wanted


@dataclass
class ShelterState:
    """A shelter as members see it during an event."""

    shelter: Shelter
    is_open: bool | None  # None: nobody has said yet
    capacity: int | None
    distance_m: float | None = None
    full: bool = False
    # People reported there in the event (each member's latest report, with those with them).
    people: int = 0

    @property
    def state(self) -> str:
        """開設 / 満員 / 閉鎖 / 未確認 (SHELTER_STATES)."""
        if self.is_open is None:
            return SHELTER_UNKNOWN
        if not self.is_open:
            return SHELTER_CLOSED
        return SHELTER_FULL if self.is_full else SHELTER_OPEN

    @property
    def is_full(self) -> bool:
        """Marked full by an officer, or as many people reported there as it takes."""
        if self.is_open is False:
            return False
        return self.full or (self.capacity is not None and self.people >= self.capacity)

    @property
    def directions_url(self) -> str:
        return directions_url(self.shelter.lat, self.shelter.lon)

    @property
    def geo_uri(self) -> str:
        return geo_uri(self.shelter.lat, self.shelter.lon, self.shelter.name)


def directions_url(lat: float, lon: float) -> str:
    """A walking route to a place in the phone's map app (Google Maps' cross-platform URL)."""
    return (
        f"https://www.google.com/maps/dir/?api=1&travelmode=walking&destination={lat:.6f},{lon:.6f}"
    )


def geo_uri(lat: float, lon: float, name: str = "") -> str:
    """A geo: URI (RFC 5870) that Android opens in the map app of the member's choice."""
    label = f"({quote(name)})" if name else ""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}{label}"


def _headcounts(event_id: int):
    """A select of (shelter_id, people): each member's latest report at a shelter in an
    event, with the people beyond the members it counted."""
    latest = (
        select(func.max(CheckIn.id)).where(CheckIn.event_id == event_id).group_by(CheckIn.member_id)
    )
    return (
        select(CheckIn.shelter_id, func.sum(1 + CheckIn.extra_people).label("people"))
        .where(
            # The event again: the latest reports are found through its index, never by
            # reading every event's reports (tests/ops/test_explain.py).
            CheckIn.event_id == event_id,
            CheckIn.id.in_(latest),
            CheckIn.status == STATUS_AT_SHELTER,
            CheckIn.shelter_id.is_not(None),
        )
        .group_by(CheckIn.shelter_id)
    )


def shelter_states(association: Association, event_id: int | None) -> list[ShelterState]:
    """The association's shelters with their state and headcount in an event.

    An association that has chosen its shelters (the usual case once set up) costs one query:
    the choice, the shelters, the event's marks and the headcounts together.
    """
    chosen = (
        select(Shelter, AssociationShelter.capacity)
        .join(
            AssociationShelter,
            (AssociationShelter.shelter_id == Shelter.id)
            & (AssociationShelter.association_id == association.id),
        )
        .order_by(AssociationShelter.position, Shelter.name)
    )
    people: dict[int, int] = {}
    if event_id is not None:
        counts = _headcounts(event_id).subquery()
        chosen = (
            chosen.add_columns(EventShelter, counts.c.people)
            .outerjoin(
                EventShelter,
                (EventShelter.shelter_id == Shelter.id) & (EventShelter.event_id == event_id),
            )
            .outerjoin(counts, counts.c.shelter_id == Shelter.id)
        )
        rows = []
        for shelter, own, mark, count in db.session.execute(chosen):
            rows.append((shelter, own, mark))
            people[shelter.id] = int(count or 0)
    else:
        rows = [(shelter, own, None) for shelter, own in db.session.execute(chosen)]
    if not rows:  # no choice yet: the shelters near the centre, with the event's marks
        radius = float(association.setting("shelter_radius_m"))
        near = shelters_within(association, radius)
        marks: dict[int, EventShelter] = {}
        if event_id is not None and near:
            counts = _headcounts(event_id).subquery()
            for shelter_id, mark, count in db.session.execute(
                select(Shelter.id, EventShelter, counts.c.people)
                .outerjoin(
                    EventShelter,
                    (EventShelter.shelter_id == Shelter.id) & (EventShelter.event_id == event_id),
                )
                .outerjoin(counts, counts.c.shelter_id == Shelter.id)
                .where(Shelter.id.in_([s.id for s in near]))
            ):
                if mark is not None:
                    marks[shelter_id] = mark
                people[shelter_id] = int(count or 0)
        rows = [(shelter, None, marks.get(shelter.id)) for shelter in near]
    states = []
    for shelter, own, mark in rows:
        capacity = next(
            (c for c in (mark.capacity if mark else None, own, shelter.capacity) if c is not None),
            None,
        )
        states.append(
            ShelterState(
                shelter,
                mark.is_open if mark else None,
                capacity,
                full=bool(mark and mark.full),
                people=people.get(shelter.id, 0),
            )
        )
    return states


def nearest_shelters(
    association: Association,
    event_id: int | None,
    kind: str | None,
    position: tuple[float, float] | None,
    limit: int | None = None,
) -> list[ShelterState]:
    """The shelters members may go to, for the hazard: closed ones left out; open ones
    first, then those nobody has marked, full ones last; nearest first within each when
    `position` is known (the phone's, else the household's)."""
    states = [
        state
        for state in shelter_states(association, event_id)
        if state.is_open is not False and state.shelter.suits(kind)
    ]
    states = order_for_members(states, position)
    return states[:limit] if limit else states


def order_for_members(
    states: list[ShelterState], position: tuple[float, float] | None
) -> list[ShelterState]:
    """Open shelters first, then those nobody has marked, then full ones, closed ones last;
    nearest first within each when `position` is known (distances are set on the states)."""
    if position is not None:
        for state in states:
            state.distance_m = geodesic(position, (state.shelter.lat, state.shelter.lon)).meters
    return sorted(
        states,
        key=lambda s: (s.is_open is False, s.is_full, s.is_open is not True, s.distance_m or 0.0),
    )


def mark_shelter(
    event,
    shelter: Shelter,
    *,
    is_open: bool,
    capacity: int | None,
    by,
    full: bool = False,
) -> EventShelter:
    """Mark a shelter open, full or closed during an event, with an optional capacity
    (flushes)."""
    if event.ended_at is not None:
        raise ValueError(_("この災害モードは終わっています。"))
    if capacity is not None and not 0 <= capacity <= 100_000:
        raise ValueError(_("人数は 0 から 100000 までにしてください。"))
    mark = db.session.scalar(
        select(EventShelter).where(
            EventShelter.event_id == event.id, EventShelter.shelter_id == shelter.id
        )
    )
    if mark is None:
        mark = EventShelter(
            association_id=event.association_id, event_id=event.id, shelter_id=shelter.id
        )
        db.session.add(mark)
    mark.is_open = is_open
    mark.full = bool(is_open and full)
    mark.capacity = capacity
    mark.updated_at = utcnow()
    mark.updated_by_id = by.id if by is not None else None
    db.session.flush()
    return mark


def association_capacities(association_id: int) -> dict[int, int | None]:
    """{shelter id: capacity the association keeps} for its chosen shelters."""
    return dict(
        db.session.execute(
            select(AssociationShelter.shelter_id, AssociationShelter.capacity).where(
                AssociationShelter.association_id == association_id
            )
        ).all()
    )


def set_shelter_capacity(association: Association, shelter: Shelter, capacity: int | None, by):
    """The number of people a shelter takes, as the association knows it (flushes).

    Stored with the association's choice; an association still using the default (the
    shelters near its centre) has that list saved as its choice first.
    """
    if capacity is not None and not 0 <= capacity <= 100_000:
        raise ValueError(_("人数は 0 から 100000 までにしてください。"))
    if not has_explicit_choice(association.id):
        set_chosen_shelters(association, chosen_shelter_ids(association))
    row = db.session.scalar(
        select(AssociationShelter).where(
            AssociationShelter.association_id == association.id,
            AssociationShelter.shelter_id == shelter.id,
        )
    )
    if row is None:
        raise ValueError(_("この自治会の避難所ではありません。"))
    row.capacity = capacity
    if by is not None:  # an officer's change; the demo's figures are not logged
        record(
            "shelters.capacity",
            association_id=association.id,
            actor=by,
            target=shelter,
            capacity=capacity,
        )
    db.session.flush()
    return row


def count_shelters() -> int:
    return db.session.scalar(select(func.count(Shelter.id))) or 0
