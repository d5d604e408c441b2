"""Roster import: encodings, line ends, bad rows by line number, all-or-nothing, re-import."""

import io

import pytest
from sqlalchemy import func, select

from jichikai.audit.models import AuditEvent
from jichikai.extensions import db
from jichikai.org import roster
from jichikai.org.models import Block, Household, Member, RosterImport
from jichikai.org.services import assign_role, set_member_active
from jichikai.reach.contacts import association_email, set_association_email

from ..factories import login, make_member
from .csvdata import ROSTER_CSV


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Block, Household, Member)
    )


def _plan(world, text: str, encoding: str = "utf-8", by="officer"):
    by = world.by_role(by) if by else None
    return roster.plan(world.association, roster.parse(text, encoding), by=by)


def _messages(plan) -> list[tuple[int, str]]:
    return [(e.line, e.message) for e in plan.errors]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ROSTER_CSV.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + ROSTER_CSV.encode("utf-8"), "utf-8-bom"),
        (ROSTER_CSV.encode("cp932"), "cp932"),
        (ROSTER_CSV.replace("\n", "\r\n").encode("cp932"), "cp932"),
        (b"\xef\xbb\xbf" + ROSTER_CSV.replace("\n", "\r\n").encode("utf-8"), "utf-8-bom"),
    ],
    ids=["utf8-lf", "bom-lf", "cp932-lf", "cp932-crlf", "bom-crlf"],
)
def test_every_encoding_and_line_end_reads_the_same(app, world, data, encoding):
    text, detected = roster.decode(data)
    parsed = roster.parse(text, detected)
    assert detected == encoding
    assert parsed.columns[:3] == ["block", "household", "name"]
    assert [row.line for row in parsed.rows] == [2, 3, 4, 5, 6]
    assert parsed.rows[0].values["name"] == "木村 正"
    assert parsed.rows[-1].values["name"] == "佐藤 三郎"


def test_undecodable_bytes_are_refused(app):
    with pytest.raises(roster.RosterError):
        roster.decode("班,世帯,氏名\n".encode("utf-16"))


def test_missing_required_column_names_line_1(app, world):
    with pytest.raises(roster.RosterError, match="1行目"):
        roster.parse("班,氏名\n1班,佐藤 花子\n")


def test_english_headers_and_tabs_are_accepted(app, world):
    plan = _plan(world, "block\thousehold\tname\tpaper_only\n1班\t佐藤家\t佐藤 四郎\tyes\n")
    assert plan.errors == []
    (block,) = plan.blocks
    assert block.existing == world.block
    assert block.households[0].existing == world.household
    assert block.households[0].fields["paper_only"] is True


def test_preview_groups_by_block_with_new_and_existing(app, world):
    plan = _plan(world, ROSTER_CSV)
    assert plan.errors == []
    assert [b.name for b in plan.blocks] == ["1班", "3班"]
    first, new = plan.blocks
    assert not first.is_new and new.is_new
    assert first.households[0].existing == world.household
    assert [m["name"] for m in first.households[0].new_members] == ["佐藤 三郎"]
    assert first.households[0].changes == []  # empty cells keep what is registered
    assert plan.totals() == {
        "new_blocks": 1,
        "new_households": 2,
        "updated_households": 0,
        "new_members": 4,
        "updated_members": 1,  # 佐藤 花子 gets her reading
    }


def test_bad_rows_are_named_by_line_with_the_reason(app, world):
    text = (
        "班,世帯,氏名,紙のみ,人数,電話\r\n"
        "1班,佐藤家,,いいえ,2,\r\n"  # line 2: no name
        "1班,山本家,山本 一,たぶん,1,\r\n"  # line 3: unknown flag
        "\r\n"  # an empty line is skipped but counted
        "1班,山本家,山本 一,はい,1,\r\n"  # line 5: ok (line 3 was refused)
        "1班,山本家,山本 一,はい,1,\r\n"  # line 6: duplicate of line 5
        "2班,森家,森 一,0,百,\r\n"  # line 7: people count
        "2班,森家,森 二,0,,048-1\r\n"  # line 8: ok (empty = as above)
        "2班,池家,池 一,0,1,048-1\r\n"
        "2班,池家,池 二,0,1,048-2\r\n"  # line 10: phone differs from line 9
        f"2班,長家,{'長' * 201},0,1,\r\n"  # line 11: too long
    )
    plan = _plan(world, text)
    lines = [line for line, _message in _messages(plan)]
    assert lines == [2, 3, 6, 7, 10, 11]
    messages = dict(_messages(plan))
    assert "氏名" in messages[2]
    assert "たぶん" in messages[3]
    assert "5行目" in messages[6]
    assert "人数" in messages[7]
    assert "9行目" in messages[10] and "電話" in messages[10]
    assert "長すぎます" in messages[11]


def test_a_malformed_email_is_an_error_of_its_line(app, world):
    plan = _plan(world, "班,世帯,氏名,メール\n1班,佐藤家,佐藤 三郎,sato@example\n")
    assert [line for line, _ in _messages(plan)] == [2]
    assert "メール" in _messages(plan)[0][1]


def test_an_email_someone_logs_in_with_is_not_an_error(app, world):
    # The メール column is the notification email (tests/reach/test_roster_emails.py);
    # officers' login emails, unique in the association, are no longer set by the roster.
    plan = _plan(world, "班,世帯,氏名,メール\n1班,佐藤家,佐藤 三郎,OFFICER@example.jp\n")
    assert plan.errors == []


def test_apply_creates_everything_and_records_the_import(app, world):
    upload = roster.store_upload(world.association, world.officer, "r.csv", ROSTER_CSV, "utf-8")
    db.session.commit()
    roster.apply_upload(world.association, upload, by=world.officer)
    db.session.commit()

    block = db.session.scalars(select(Block).where(Block.name == "3班")).one()
    assert block.association_id == world.association.id
    names = [h.name for h in block.households]
    assert names == ["木村家", "林家"]
    kimura, hayashi = block.households
    assert kimura.people_count == 2 and kimura.phone == "048-111-0001"
    assert [m.name for m in kimura.members] == ["木村 正", "木村 洋子"]
    assert hayashi.paper_only and hayashi.needs_assistance
    assert hayashi.assistance_note == "車いすです"
    assert world.member.kana == "さとう はなこ"
    assert upload.applied_at is not None and upload.content == ""
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roster.import")).one()
    assert event.actor_id == world.officer.id
    assert event.details["new_members"] == 4


def test_a_failing_apply_leaves_nothing_behind(app, world, monkeypatch):
    before = _counts()
    upload = roster.store_upload(world.association, world.officer, "r.csv", ROSTER_CSV, "utf-8")
    db.session.commit()

    def failing_record(*args, **kwargs):
        # Everything has been written to the transaction when the last step fails.
        assert db.session.scalar(select(Block.id).where(Block.name == "3班")) is not None
        raise RuntimeError("database went away")

    monkeypatch.setattr(roster, "record_import", failing_record)
    with pytest.raises(RuntimeError):
        roster.apply_upload(world.association, upload, by=world.officer)
    db.session.rollback()
    monkeypatch.undo()
    assert _counts() == before
    assert db.session.get(RosterImport, upload.id).applied_at is None


def test_reimport_updates_instead_of_duplicating(app, world):
    roster.apply(world.association, _plan(world, ROSTER_CSV), world.officer)
    db.session.commit()
    counts = _counts()
    changed = ROSTER_CSV.replace("048-111-0002", "048-999-9999")
    plan = _plan(world, changed)
    assert plan.totals()["new_members"] == 0
    assert plan.totals()["updated_households"] == 1
    roster.apply(world.association, plan, world.officer)
    db.session.commit()
    assert _counts() == counts
    hayashi = db.session.scalars(select(Household).where(Household.name == "林家")).one()
    assert hayashi.phone == "048-999-9999"
    assert not _plan(world, changed).has_changes


def test_reimport_reactivates_a_deactivated_member(app, world):
    world.member.active = False
    db.session.commit()
    plan = _plan(world, "班,世帯,氏名\n1班,佐藤家,佐藤 花子\n")
    ((member, changed),) = plan.blocks[0].households[0].updated_members
    assert member.id == world.member.id and changed == {"active": True}


def test_a_second_confirmation_changes_nothing(app, world):
    upload = roster.store_upload(world.association, world.officer, "r.csv", ROSTER_CSV, "utf-8")
    db.session.commit()
    roster.apply_upload(world.association, upload, by=world.officer)
    db.session.commit()
    counts = _counts()
    with pytest.raises(roster.RosterError):
        roster.apply_upload(world.association, upload, by=world.officer)
    db.session.rollback()
    assert _counts() == counts


# The pages


def _upload(client, data: bytes, name: str = "roster.csv"):
    return client.post(
        "/admin/roster",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_upload_preview_confirm(client, world, as_member):
    as_member(world.officer)
    response = _upload(client, ROSTER_CSV.encode("cp932"))
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert "3班" in page and "木村 洋子" in page and "cp932" in page
    assert db.session.scalar(select(Block.id).where(Block.name == "3班")) is None

    import_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    done = client.post(f"/admin/roster/{import_id}/apply", follow_redirects=True)
    assert done.status_code == 200
    assert db.session.scalar(select(Block.id).where(Block.name == "3班")) is not None


def test_upload_with_bad_rows_shows_lines_and_stores_nothing(client, world, as_member):
    as_member(world.officer)
    response = _upload(client, "班,世帯,氏名\n1班,佐藤家,\n".encode())
    assert response.status_code == 422
    assert "2行目" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RosterImport.id))) == 0


def test_another_associations_upload_answers_404(client, world, as_member):
    upload = roster.store_upload(
        world.outsider_association, world.outsider, "r.csv", ROSTER_CSV, "utf-8"
    )
    db.session.commit()
    as_member(world.officer)
    assert client.get(f"/admin/roster/{upload.id}").status_code == 404
    assert client.post(f"/admin/roster/{upload.id}/apply").status_code == 404


def test_cli_previews_and_applies(runner, world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER_CSV.encode("cp932"))
    args = ["roster", "import", "--association", str(world.association.id), str(path)]
    preview = runner.invoke(args=args)
    assert preview.exit_code == 0, preview.output
    assert "preview only" in preview.output
    assert db.session.scalar(select(Block.id).where(Block.name == "3班")) is None
    applied = runner.invoke(args=[*args, "--apply"])
    assert applied.exit_code == 0, applied.output
    db.session.expire_all()
    assert db.session.scalar(select(Block.id).where(Block.name == "3班")) is not None


def test_cli_reports_bad_rows(runner, world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("班,世帯,氏名\n1班,,佐藤 五郎\n", encoding="utf-8")
    association = str(world.association.id)
    result = runner.invoke(args=["roster", "import", "--association", association, str(path)])
    assert result.exit_code != 0
    assert "line 2" in result.output


# Who may change what: the member pages' rules, row by row


def _second_admin(world) -> Member:
    other = make_member(world.household, name="佐藤 管理")
    assign_role(other, "admin", by=world.admin)
    return other


def _admin_row(world, email: str = "") -> str:
    return f"2班,伊藤家,{world.admin.name},{email}\n"


def _admin_rows(world) -> bytes:
    """The issue's file: line 2 adds a member, line 3 reactivates the deactivated admin, line
    4 rewrites the other admin's email."""
    other = world.admin_two
    return (
        "班,世帯,氏名,メール\n"
        "1班,佐藤家,佐藤 三郎,\n"
        + _admin_row(world)
        + f"1班,佐藤家,{other.name},taken-over@example.jp\n"
    ).encode()


@pytest.fixture
def admin_away(world, client):
    """The issue's scenario: an admin logged in on their phone, then deactivated."""
    phone = client.application.test_client()
    login(phone, world.admin)
    assert phone.get("/admin/audit").status_code == 200
    world.admin_two = _second_admin(world)
    set_member_active(world.admin, False, by=world.admin_two)
    db.session.commit()
    return phone


def test_an_officers_roster_cannot_reactivate_or_edit_an_admin(
    client, world, as_member, admin_away
):
    before = _counts()
    as_member(world.officer)
    response = _upload(client, _admin_rows(world))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"3行目：{world.admin.name} さんの登録は変えられません" in page
    assert f"4行目：{world.admin_two.name} さんの登録は変えられません" in page
    assert "2行目" not in page
    assert db.session.scalar(select(func.count(RosterImport.id))) == 0
    assert _counts() == before
    assert world.admin.active is False
    assert association_email(world.admin_two) is None


def test_refused_rows_are_audited(client, world, as_member, admin_away):
    as_member(world.officer)
    _upload(client, _admin_rows(world))

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "roster.refused")
    ).one()
    assert event.actor_id == world.officer.id
    assert event.details["rows"] == [
        {"line": 3, "id": world.admin.id, "name": world.admin.name},
        {"line": 4, "id": world.admin_two.id, "name": world.admin_two.name},
    ]
    as_member(world.admin_two)
    page = client.get("/admin/audit?action=roster.refused").get_data(as_text=True)
    assert f"3行目：{world.admin.name}" in page


def test_the_refusal_holds_at_confirmation_too(app, world, admin_away):
    # Stored while allowed (by an admin), confirmed by an officer: nothing is applied.
    upload = roster.store_upload(
        world.association, world.admin_two, "r.csv", _admin_rows(world).decode(), "utf-8"
    )
    db.session.commit()
    before = _counts()
    with pytest.raises(roster.RosterError):
        roster.apply_upload(world.association, upload, by=world.officer)
    db.session.rollback()
    assert _counts() == before
    assert db.session.get(Member, world.admin.id).active is False


def test_an_admins_roster_reactivates_and_edits_an_admin(client, world, as_member, admin_away):
    as_member(world.admin_two)
    response = _upload(client, _admin_rows(world))
    assert response.status_code == 302
    assert client.post(response.headers["Location"] + "/apply").status_code == 302

    assert world.admin.active is True
    assert association_email(world.admin_two).address == "taken-over@example.jp"


def test_a_reactivated_admins_old_phone_stays_logged_out(client, world, as_member, admin_away):
    as_member(world.admin_two)
    response = _upload(client, _admin_rows(world))
    client.post(response.headers["Location"] + "/apply")
    assert world.admin.active is True

    assert admin_away.get("/admin/audit").status_code in (302, 401)
    assert admin_away.get(f"/admin/members/{world.member.id}/card").status_code in (302, 401)


def test_an_officers_roster_may_list_an_admin_unchanged(app, world):
    set_association_email(world.admin, "kaichou@example.jp", by=None)
    plan = _plan(world, "班,世帯,氏名,メール\n" + _admin_row(world, "kaichou@Example.JP"))
    assert plan.errors == []
    assert not plan.has_changes


def test_a_member_of_another_association_cannot_plan_a_roster(app, world):
    plan = roster.plan(
        world.association,
        roster.parse("班,世帯,氏名\n1班,佐藤家,佐藤 三郎\n"),
        by=world.outsider,
    )
    assert _messages(plan) == [(2, "名簿を取り込めるのは役員だけです")]


def test_the_import_audit_lists_each_member_changed(app, world):
    world.housemate.active = False
    db.session.commit()
    text = (
        "班,世帯,氏名,ふりがな,電話\n"
        "1班,佐藤家,佐藤 花子,さとう はなこ,\n"
        "1班,佐藤家,佐藤 一郎,,048-555-0000\n"
        "3班,木村家,木村 正,,\n"
    )
    upload = roster.store_upload(world.association, world.officer, "r.csv", text, "utf-8")
    db.session.commit()
    roster.apply_upload(world.association, upload, by=world.officer)
    db.session.commit()

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roster.import")).one()
    kimura = db.session.scalars(select(Member).where(Member.name == "木村 正")).one()
    assert event.details["members"] == [
        {"id": world.member.id, "name": "佐藤 花子", "changes": ["kana"]},
        {"id": world.housemate.id, "name": "佐藤 一郎", "changes": ["active"]},
        {"id": kimura.id, "name": "木村 正", "changes": ["new"]},
    ]
    assert {"id": world.household.id, "name": "佐藤家", "changes": ["phone"]} in event.details[
        "households"
    ]
    reactivated = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.reactivate")
    ).one()
    assert reactivated.target_id == world.housemate.id and reactivated.actor_id == world.officer.id


def test_the_audit_page_names_the_members_an_import_changed(client, world, as_member):
    upload = roster.store_upload(
        world.association,
        world.officer,
        "r.csv",
        "班,世帯,氏名,ふりがな\n1班,佐藤家,佐藤 花子,さとう はなこ\n3班,木村家,木村 正,\n",
        "utf-8",
    )
    db.session.commit()
    roster.apply_upload(world.association, upload, by=world.officer)
    db.session.commit()
    as_member(world.admin)
    page = client.get("/admin/audit?action=roster.import").get_data(as_text=True)
    assert "佐藤 花子（ふりがな）" in page and "木村 正（新しく登録）" in page
