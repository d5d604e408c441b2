"""How long reading a JMA message and checking it against many associations takes.

Run: PYTHONPATH=. .venv/bin/python bench/jma_parse.py
"""

import time
from dataclasses import replace
from pathlib import Path

from jichikai.jma.messages import parse_message
from jichikai.jma.rules import evaluate
from jichikai.jma.settings import MODE_AUTO, JmaSettings

DATA = Path(__file__).resolve().parents[1] / "tests" / "jma" / "data"
SAKURA = JmaSettings(
    enabled=True,
    city_code="1110600",
    area_code="331",
    warning_area_code="1110000",
    mode=MODE_AUTO,
)


def per_call(func, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    for name in ("15_14_01_170216_VPWW53.xml", "VXSE53_sakura_5plus.xml"):
        data = (DATA / name).read_bytes()
        parse = per_call(lambda data=data: parse_message(data), 300)
        message = parse_message(data)
        settings = [replace(SAKURA, city_code=f"11{n:05d}") for n in range(1000)]
        check = per_call(lambda m=message, ss=settings: [evaluate(m, s) for s in ss], 20)
        print(
            f"{name}: {len(data) / 1024:.1f} KiB, parse {parse * 1000:.2f} ms, "
            f"rules for 1000 associations {check * 1000:.2f} ms "
            f"(ratio rules/parse {check / parse:.2f})"
        )


if __name__ == "__main__":
    main()
