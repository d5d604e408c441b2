"""Every JMA warning kind the rules act on, in one place.

JMA's codes (警報等情報要素) decide what a message means here. When JMA changes its warnings
(the 2026 revision of 防災気象情報 brings new levels and the messages VPWW55–59), the new codes
are added here and nowhere else: the rules read these tables.
"""

from __future__ import annotations

LANDSLIDE = "landslide"

# Weather kinds an association may choose: VPWW53 Kind/Code (or VXWW50) -> (name, event kind).
WEATHER_KINDS: dict[str, tuple[str, str]] = {
    "33": ("大雨特別警報", "flood"),
    "35": ("暴風特別警報", "other"),
    "38": ("高潮特別警報", "flood"),
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

# Message types of the 2026 revision (VPWW55–59) are recognised but not read yet: their
# codes would be added above, with a rule in rules.py.
REVISION_2026_TYPES = ("VPWW55", "VPWW56", "VPWW57", "VPWW58", "VPWW59")
