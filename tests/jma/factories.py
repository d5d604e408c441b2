"""Alerts for tests of the JMA pages."""

from itertools import count

from jichikai.extensions import db
from jichikai.jma.models import ACTION_PROPOSED, JmaAlert

_keys = count(1)


def make_alert(association, action: str = ACTION_PROPOSED, **fields) -> JmaAlert:
    fields.setdefault("event_key", f"earthquake:test-{next(_keys)}")
    alert = JmaAlert(
        association_id=association.id,
        action=action,
        kind=fields.pop("kind", "earthquake"),
        title=fields.pop("title", "地震（さいたま市桜区で震度５強）"),
        reason=fields.pop("reason", "さいたま市桜区で震度５強"),
        source=fields.pop(
            "source",
            {
                "type": "VXSE53",
                "event_id": "20261127100000",
                "link": "https://www.data.jma.go.jp/developer/xml/data/x_VXSE53_010000.xml",
                "headline": "２７日１０時００分ころ、地震による強い揺れを感じました。",
                "title": "震源・震度情報",
                "report_datetime": "2026-11-27T10:03:00+09:00",
            },
        ),
        **fields,
    )
    db.session.add(alert)
    db.session.commit()
    return alert
