"""Reading JMA 防災情報XML: the Atom feeds and the messages they list.

Everything is parsed with defusedxml (no DTDs, no entities) and read by namespace. Nothing
that a message points to is ever fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .kinds import R06_TYPES

ATOM = "{http://www.w3.org/2005/Atom}"
JMX = "{http://xml.kishou.go.jp/jmaxml1/}"
HEAD = "{http://xml.kishou.go.jp/jmaxml1/informationBasis1/}"
SEISMOLOGY = "{http://xml.kishou.go.jp/jmaxml1/body/seismology1/}"
METEOROLOGY = "{http://xml.kishou.go.jp/jmaxml1/body/meteorology1/}"
VOLCANOLOGY = "{http://xml.kishou.go.jp/jmaxml1/body/volcanology1/}"

# Seismic intensity (震度) as JMA writes it in MaxInt, weakest first.
INTENSITY_SCALE = ("1", "2", "3", "4", "5-", "5+", "6-", "6+", "7")
INTENSITY_LABELS = {
    "1": "震度１",
    "2": "震度２",
    "3": "震度３",
    "4": "震度４",
    "5-": "震度５弱",
    "5+": "震度５強",
    "6-": "震度６弱",
    "6+": "震度６強",
    "7": "震度７",
}
# A city whose stations have not reported yet although 5- or more is likely.
NOT_YET_RECEIVED = "震度５弱以上未入電"

VXSE51 = "VXSE51"  # 震度速報
VXSE53 = "VXSE53"  # 震源・震度に関する情報
VPWW53 = "VPWW53"  # 気象特別警報・警報・注意報
VXWW50 = "VXWW50"  # 土砂災害警戒情報
VTSE41 = "VTSE41"  # 津波警報・注意報・予報
VFVO50 = "VFVO50"  # 噴火警報・予報
# VPWW55-61: 気象警報・注意報（Ｒ０６）, one per phenomenon (kinds.R06_PHENOMENA).
SUPPORTED_TYPES = (VXSE51, VXSE53, VPWW53, VXWW50, VTSE41, VFVO50, *R06_TYPES)
# Known types that carry no rule here: VPWW54 repeats VPWW53, VPWS50 gathers the R06
# messages of the whole country.
RECOGNISED_TYPES = ("VPWW54", "VPWS50")

TYPES_BY_TITLE = {
    "震度速報": VXSE51,
    "震源・震度に関する情報": VXSE53,
    "気象特別警報・警報・注意報": VPWW53,
    "土砂災害警戒情報": VXWW50,
    "津波警報・注意報・予報a": VTSE41,
    "噴火警報・予報": VFVO50,
    "気象警報・注意報（Ｒ０６）（大雨）": "VPWW55",
    "気象警報・注意報（Ｒ０６）（土砂）": "VPWW56",
}

_TYPE_IN_NAME = re.compile(r"(?:^|[_/])(V[A-Z]{3}\d{2})(?:[_.]|$)")


class MessageError(ValueError):
    """A feed or message that cannot be read."""


@dataclass(frozen=True)
class FeedEntry:
    """One entry of an Atom feed: the message's link, its title and when it was updated."""

    link: str
    title: str
    updated: datetime | None


@dataclass
class SeismicCity:
    code: str
    name: str
    max_int: str | None
    condition: str = ""


@dataclass
class SeismicArea:
    code: str
    name: str
    max_int: str | None
    cities: dict[str, SeismicCity] = field(default_factory=dict)


@dataclass(frozen=True)
class WarningKind:
    code: str
    name: str
    status: str
    last_code: str = ""
    last_name: str = ""


@dataclass
class WarningItem:
    area_code: str
    area_name: str
    kinds: list[WarningKind]
    warning_type: str = ""  # Body/Warning/@type, e.g. 気象警報・注意報（市町村等）


@dataclass(frozen=True)
class TsunamiItem:
    """One 津波予報区 of a VTSE41 forecast: its code, name and warning kind now and before."""

    area_code: str
    area_name: str
    kind_code: str
    kind_name: str
    last_kind_code: str = ""


@dataclass
class VolcanoItem:
    """One Item of a VFVO50 VolcanoInfo block: a kind and the areas it applies to.

    `target` is "volcano" (噴火警報・予報（対象火山）: the level, areas are volcanoes) or
    "municipality" (噴火警報・予報（対象市町村等）: the warning, areas are 市町村等 codes).
    """

    target: str
    kind_code: str
    kind_name: str
    condition: str
    areas: list[tuple[str, str]]  # (code, name)


@dataclass
class JmaMessage:
    """What the rules need from one message."""

    type_code: str
    title: str
    status: str  # Control/Status: 通常, 訓練, 試験
    info_type: str  # Head/InfoType: 発表, 訂正, 取消 ...
    event_id: str
    head_title: str
    headline: str
    report_datetime: datetime | None
    publishing_office: str = ""
    areas: dict[str, SeismicArea] = field(default_factory=dict)
    warnings: list[WarningItem] = field(default_factory=list)
    tsunami: list[TsunamiItem] = field(default_factory=list)
    volcano: list[VolcanoItem] = field(default_factory=list)


def type_from_link(link: str) -> str | None:
    """The data type code in a JMA file name (…_0_VXSE53_010000.xml), if there is one."""
    name = link.rsplit("/", 1)[-1]
    match = _TYPE_IN_NAME.search(name)
    return match.group(1) if match else None


def intensity_rank(value: str | None) -> int | None:
    """The position of an intensity on the scale, or None for anything else."""
    if value in INTENSITY_SCALE:
        return INTENSITY_SCALE.index(value)
    return None


def _parse(data: bytes) -> Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as error:
        raise MessageError(f"not readable XML: {error}") from error


def _text(element: Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _datetime(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def parse_feed(data: bytes) -> list[FeedEntry]:
    """The entries of an Atom feed, in the order listed."""
    root = _parse(data)
    if root.tag != f"{ATOM}feed":
        raise MessageError(f"not an Atom feed: {root.tag}")
    entries = []
    for entry in root.iter(f"{ATOM}entry"):
        link = ""
        for candidate in entry.findall(f"{ATOM}link"):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate.get("href", "").strip()
                break
        if not link:
            link = _text(entry, f"{ATOM}id")
        if not link:
            continue
        entries.append(
            FeedEntry(
                link=link,
                title=_text(entry, f"{ATOM}title"),
                updated=_datetime(_text(entry, f"{ATOM}updated")),
            )
        )
    return entries


def parse_message(data: bytes, type_code: str | None = None) -> JmaMessage:
    """Read one 防災情報XML message; the type comes from its file name or its title."""
    root = _parse(data)
    if root.tag != f"{JMX}Report":
        raise MessageError(f"not a JMA report: {root.tag}")
    control = root.find(f"{JMX}Control")
    head = root.find(f"{HEAD}Head")
    if control is None or head is None:
        raise MessageError("a report without Control or Head")

    title = _text(control, f"{JMX}Title")
    type_code = type_code or TYPES_BY_TITLE.get(title, "")
    message = JmaMessage(
        type_code=type_code,
        title=title,
        status=_text(control, f"{JMX}Status"),
        info_type=_text(head, f"{HEAD}InfoType"),
        event_id=_text(head, f"{HEAD}EventID"),
        head_title=_text(head, f"{HEAD}Title"),
        headline=_text(head, f"{HEAD}Headline/{HEAD}Text"),
        report_datetime=_datetime(_text(head, f"{HEAD}ReportDateTime")),
        publishing_office=_text(control, f"{JMX}PublishingOffice"),
    )
    if not message.status or not message.info_type:
        raise MessageError("a report without Control/Status or Head/InfoType")

    if type_code in (VXSE51, VXSE53):
        body = root.find(f"{SEISMOLOGY}Body")
        message.areas = _seismic_areas(body)
    elif type_code in (VPWW53, VXWW50, *R06_TYPES):
        body = root.find(f"{METEOROLOGY}Body")
        message.warnings = _warning_items(body)
    elif type_code == VTSE41:
        message.tsunami = _tsunami_items(root.find(f"{SEISMOLOGY}Body"))
    elif type_code == VFVO50:
        message.volcano = _volcano_items(root.find(f"{VOLCANOLOGY}Body"))
    return message


def _tsunami_items(body: Element | None) -> list[TsunamiItem]:
    """Body/Tsunami/Forecast/Item: Area/{Code,Name} and Category/{Kind,LastKind}/Code."""
    items: list[TsunamiItem] = []
    if body is None:
        return items
    s = SEISMOLOGY
    for item in body.iterfind(f"{s}Tsunami/{s}Forecast/{s}Item"):
        code = _text(item, f"{s}Area/{s}Code")
        if not code:
            continue
        items.append(
            TsunamiItem(
                area_code=code,
                area_name=_text(item, f"{s}Area/{s}Name"),
                kind_code=_text(item, f"{s}Category/{s}Kind/{s}Code"),
                kind_name=_text(item, f"{s}Category/{s}Kind/{s}Name"),
                last_kind_code=_text(item, f"{s}Category/{s}LastKind/{s}Code"),
            )
        )
    return items


VOLCANO_TARGETS = {
    "噴火警報・予報（対象火山）": "volcano",
    "噴火警報・予報（対象市町村等）": "municipality",
}


def _volcano_items(body: Element | None) -> list[VolcanoItem]:
    """Body/VolcanoInfo (対象火山 and 対象市町村等)/Item: Kind and Areas/Area/{Code,Name}."""
    items: list[VolcanoItem] = []
    if body is None:
        return items
    v = VOLCANOLOGY
    for info in body.iterfind(f"{v}VolcanoInfo"):
        target = VOLCANO_TARGETS.get(info.get("type", ""))
        if target is None:
            continue
        for item in info.iterfind(f"{v}Item"):
            items.append(
                VolcanoItem(
                    target=target,
                    kind_code=_text(item, f"{v}Kind/{v}Code"),
                    kind_name=_text(item, f"{v}Kind/{v}Name"),
                    condition=_text(item, f"{v}Kind/{v}Condition"),
                    areas=[
                        (_text(area, f"{v}Code"), _text(area, f"{v}Name"))
                        for area in item.iterfind(f"{v}Areas/{v}Area")
                    ],
                )
            )
    return items


def _seismic_areas(body: Element | None) -> dict[str, SeismicArea]:
    """Body/Intensity/Observation/Pref/Area (and its City elements, in VXSE53)."""
    areas: dict[str, SeismicArea] = {}
    if body is None:
        return areas
    s = SEISMOLOGY
    for area in body.iterfind(f"{s}Intensity/{s}Observation/{s}Pref/{s}Area"):
        code = _text(area, f"{s}Code")
        if not code:
            continue
        seismic_area = SeismicArea(
            code=code, name=_text(area, f"{s}Name"), max_int=_text(area, f"{s}MaxInt") or None
        )
        for city in area.iterfind(f"{s}City"):
            city_code = _text(city, f"{s}Code")
            if city_code:
                seismic_area.cities[city_code] = SeismicCity(
                    code=city_code,
                    name=_text(city, f"{s}Name"),
                    max_int=_text(city, f"{s}MaxInt") or None,
                    condition=_text(city, f"{s}Condition"),
                )
        areas[code] = seismic_area
    return areas


def _warning_items(body: Element | None) -> list[WarningItem]:
    """Body/Warning/Item with its Kind/{Code,Name,Status,LastKind} and Area/{Code,Name}."""
    items: list[WarningItem] = []
    if body is None:
        return items
    m = METEOROLOGY
    for warning in body.iterfind(f"{m}Warning"):
        for item in warning.iterfind(f"{m}Item"):
            kinds = [
                WarningKind(
                    code=_text(kind, f"{m}Code"),
                    name=_text(kind, f"{m}Name"),
                    status=_text(kind, f"{m}Status"),
                    last_code=_text(kind, f"{m}LastKind/{m}Code"),
                    last_name=_text(kind, f"{m}LastKind/{m}Name"),
                )
                for kind in item.iterfind(f"{m}Kind")
            ]
            for area in item.iterfind(f"{m}Area"):
                items.append(
                    WarningItem(
                        area_code=_text(area, f"{m}Code"),
                        area_name=_text(area, f"{m}Name"),
                        kinds=kinds,
                        warning_type=warning.get("type", ""),
                    )
                )
    return items
