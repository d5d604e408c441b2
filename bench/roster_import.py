"""How long a large roster takes to check and import (SQLite in a temporary folder).

Run: PYTHONPATH=. .venv/bin/python bench/roster_import.py [ROWS]
"""

import sys
import tempfile
import time
from pathlib import Path

import flask_migrate

from jichikai import create_app
from jichikai.extensions import db
from jichikai.org import roster
from jichikai.org.services import create_association


def roster_csv(rows: int) -> bytes:
    lines = ["班,世帯,氏名,ふりがな,電話,人数,紙のみ,要支援"]
    for n in range(rows):
        block, household = n // 200 + 1, n // 2
        phone = f"048-000-{household:04d}"
        lines.append(f"{block}班,世帯{household},会員 {n},かいいん,{phone},2,0,いいえ")
    return "\r\n".join(lines).encode("cp932")


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = "sqlite:///" + str(Path(folder) / "bench.sqlite3")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            flask_migrate.upgrade()
            association, _admin = create_association("bench", "bench@example.jp", "bench")
            db.session.commit()
            data = roster_csv(rows)

            start = time.perf_counter()
            text, encoding = roster.decode(data)
            plan = roster.plan(association, roster.parse(text, encoding))
            checked = time.perf_counter() - start
            assert not plan.errors

            start = time.perf_counter()
            roster.apply(association, plan)
            db.session.commit()
            applied = time.perf_counter() - start

            start = time.perf_counter()
            again = roster.plan(association, roster.parse(text, encoding))
            rechecked = time.perf_counter() - start
            assert not again.has_changes

    print(f"rows {rows}, file {len(data) / 1024:.0f} KiB")
    print(f"check (decode+parse+plan): {checked * 1000:.0f} ms ({checked / rows * 1e6:.0f} us/row)")
    print(f"apply + commit:            {applied * 1000:.0f} ms ({applied / rows * 1e6:.0f} us/row)")
    print(f"re-check, nothing to do:   {rechecked * 1000:.0f} ms")
    print(f"apply / check ratio:       {applied / checked:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else roster.MAX_ROWS)
