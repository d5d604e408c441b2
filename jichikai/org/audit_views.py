"""The audit log page for admins: newest first, paged, filtered by action."""

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..audit.models import AuditEvent
from ..extensions import db
from . import bp
from .forms import AuditFilterForm
from .models import Member
from .permissions import can_view_audit_log

PAGE_SIZE = 50

ACTION_LABELS = {
    "login": _l("ログイン"),
    "role.assign": _l("役を付けた"),
    "role.end": _l("役を終えた"),
    "card.issue": _l("ログインカードを発行"),
    "device.revoke": _l("端末をログアウト"),
    "roster.import": _l("名簿の取り込み"),
    "roster.refused": _l("名簿の取り込みを断った行"),
    "member.deactivate": _l("会員の利用停止"),
    "member.reactivate": _l("会員の利用再開"),
    "member.logins_end": _l("ログインとカードを無効に"),
    "member.password": _l("パスワードを設定"),
    "association.create": _l("自治会を作成"),
    "association.settings": _l("自治会の設定を変更"),
    "association.languages": _l("会員が選べることばを変更"),
    "association.passkey_policy": _l("役員のログインの方法を変更"),
    "passkey.register": _l("パスキーを登録"),
    "passkey.remove": _l("パスキーを消した"),
    "passkey.recover": _l("なくしたパスキーを消した"),
    "passkey.login_failed": _l("パスキーでのログインに失敗"),
}


def action_label(action: str) -> str:
    """A readable name for an audit action; unknown ones (exports...) show as they are."""
    return str(ACTION_LABELS.get(action, action))


@bp.get("/audit")
@login_required
def audit_log():
    if not can_view_audit_log(current_user):
        abort(403)
    association_id = current_user.association_id
    actions = list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.association_id == association_id)
            .distinct()
            .order_by(AuditEvent.action)
        )
    )
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _l("すべて"))] + [(a, action_label(a)) for a in actions]
    action = form.action.data if form.validate() else ""

    query = select(AuditEvent).where(AuditEvent.association_id == association_id)
    if action:
        query = query.where(AuditEvent.action == action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    events = list(
        db.session.scalars(
            query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )

    member_ids = {e.actor_id for e in events if e.actor_id}
    member_ids |= {e.target_id for e in events if e.target_type == "member" and e.target_id}
    names = {
        member.id: member.name
        for member in db.session.scalars(
            select(Member).where(Member.id.in_(member_ids), Member.association_id == association_id)
        )
    }
    return render_template(
        "org/audit.html",
        events=events,
        names=names,
        form=form,
        action=action,
        page=page,
        pages=pages,
        total=total,
        action_label=action_label,
    )
