"""Every JMA warning kind the rules act on, in one place.

JMA's codes (警報等情報要素) decide what a message means here. When JMA changes its warnings
(the 2026 revision of 防災気象情報 brought new levels and the messages VPWW55–61), the new codes
are added here and nowhere else: the rules read these tables.
"""

from __future__ import annotations

LANDSLIDE = "landslide"

# Weather kinds an association may choose: VPWW53 Kind/Code (or VXWW50) -> (name, event kind).
WEATHER_KINDS: dict[str, tuple[str, str]] = {
    "33": ("大雨特別警報", "flood"),
    "35": ("暴風特別警報", "other"),
    "38": ("高潮特別警報", "flood"),
    "43": ("大雨危険警報", "flood"),  # 2026 revision only (VPWW55): レベル４大雨危険警報
    "03": ("大雨警報", "flood"),
    "04": ("洪水警報", "flood"),
    LANDSLIDE: ("土砂災害警戒情報", "landslide"),
}
DEFAULT_WEATHER_KINDS = ("33", LANDSLIDE)

# VTSE41 津波警報・注意報・予報: Body/Tsunami/Forecast/Item/Category/Kind/Code -> grade.
TSUNAMI_MAJOR = "major"  # 大津波警報: starts disaster mode
TSUNAMI_WARNING = "warning"  # 津波警報: starts disaster mode
TSUNAMI_ADVISORY = "advisory"  # 津波注意報: the officers are asked
TSUNAMI_GRADES: dict[str, str] = {
    "52": TSUNAMI_MAJOR,  # 大津波警報
    "53": TSUNAMI_MAJOR,  # 大津波警報：発表
    "51": TSUNAMI_WARNING,  # 津波警報
    "62": TSUNAMI_ADVISORY,  # 津波注意報
    # 71-73 津波予報, 00 津波なし, 50/60 警報・注意報解除: nothing to do.
}
TSUNAMI_NAMES = {
    TSUNAMI_MAJOR: "大津波警報",
    TSUNAMI_WARNING: "津波警報",
    TSUNAMI_ADVISORY: "津波注意報",
}
# Gravest first; a later message of the same earthquake with a graver grade is an upgrade.
TSUNAMI_ORDER = (TSUNAMI_MAJOR, TSUNAMI_WARNING, TSUNAMI_ADVISORY)
TSUNAMI_STARTS = (TSUNAMI_MAJOR, TSUNAMI_WARNING)

# VFVO50 噴火警報・予報.
# Body/VolcanoInfo[@type="噴火警報・予報（対象火山）"]/Item/Kind/Code: the 噴火警戒レベル.
VOLCANO_LEVELS: dict[str, int] = {"11": 1, "12": 2, "13": 3, "14": 4, "15": 5}
VOLCANO_LEVEL_STARTS = 4  # レベル４（高齢者等避難）and ５（避難）
# Body/VolcanoInfo[@type="噴火警報・予報（対象市町村等）"]/Item/Kind: the warning for each
# municipality. 噴火警報（居住地域） starts disaster mode there (also for volcanoes without
# levels); 火口周辺警報 (02) and 噴火予報 (05) do not.
VOLCANO_RESIDENTIAL_CODES = ("01",)
VOLCANO_RESIDENTIAL_NAMES = ("噴火警報（居住地域）", "噴火警報")
# Kind/Condition of a warning newly in force (継続 and 解除, 引下げ do nothing).
VOLCANO_NEW_CONDITIONS = ("発表", "引上げ", "切替")

# -- The 2026 revision: 気象警報・注意報（Ｒ０６）, in operation since 2026-05-29 ---------------
# One message per phenomenon, per prefecture. Body/Warning[@type="気象警報・注意報（市町村等）"]
# has one Item per municipality (Area/Code: the 市町村等 code, as in VPWW53) with one Kind:
# its Name starts with the warning level (レベル５…特別警報, レベル４…危険警報, レベル３…警報,
# レベル２…注意報), Status says what changed (発表, 継続, 特別警報から危険警報, 解除 ...) and
# LastKind is the kind in force before. JMA publishes VPWW53 alongside during the transition.
R06_PHENOMENA: dict[str, str] = {
    "VPWW55": "大雨",
    "VPWW56": "土砂災害",
    "VPWW57": "高潮",
    "VPWW58": "暴風",
    "VPWW59": "波浪",
    "VPWW60": "大雪",
    "VPWW61": "その他",
}
R06_TYPES = tuple(R06_PHENOMENA)
R06_MUNICIPAL = "気象警報・注意報（市町村等）"
R06_LIFTED = "解除"
# Levels by Kind/Code, for a Kind whose Name does not carry the level (read in JMA's VPWW55
# messages: 33 レベル５大雨特別警報, 43 レベル４大雨危険警報, 03 レベル３大雨警報,
# 10 レベル２大雨注意報).
R06_LEVEL_CODES: dict[str, dict[str, int]] = {
    "VPWW55": {"33": 5, "43": 4, "03": 3, "10": 2},
}
# A chosen weather kind (WEATHER_KINDS) -> the R06 message and the lowest level that acts.
# An association that chose 大雨警報 also acts on the graver 危険警報 and 特別警報; 土砂災害
# 警戒情報 became レベル４土砂災害危険警報. 洪水警報 has no R06 message (floods are announced by
# river, 指定河川洪水予報) and 暴風 has no levels: for those VPWW53 is still read.
R06_CHOICES: dict[str, tuple[str, int]] = {
    "33": ("VPWW55", 5),
    "43": ("VPWW55", 4),
    "03": ("VPWW55", 3),
    "38": ("VPWW57", 5),
    LANDSLIDE: ("VPWW56", 4),
}
R06_EVENT_KINDS = {"VPWW55": "flood", "VPWW56": "landslide", "VPWW57": "flood"}
# Kind/Codes VPWW55 shares with VPWW53 (33 大雨特別警報, 03 大雨警報): the same announcement
# read from both messages is one alert (the same event key).
R06_SHARED_WITH_VPWW53: dict[str, tuple[str, ...]] = {"VPWW55": ("33", "03")}
