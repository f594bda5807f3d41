"""Each role's home page, organization profiles, coordination and administration."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from models import Municipality, Organization, User

from ..actions import accounts
from ..db import get_session
from ..domain.errors import NotFound
from ..forms import CATEGORY_LABELS, ReviewForm, StaffUserForm
from ..i18n import localized
from ..matching import match_service
from ..policies import Permission, can
from ..queries import accounts as people
from ..queries import catalogue as reads
from ..queries import projects, questions
from ..queries.reference import all_fields, all_municipalities
from ..security import value_id
from . import _helpers as h
from ._forms import submit

bp = Blueprint("home", __name__)

# Each person lands on the first home page they may open.
HOMES = ((Permission.HOME_MUNICIPALITY, "home.municipality"), (Permission.HOME_COMPANY, "home.company"),
         (Permission.COORDINATION_VIEW, "home.coordination"))


@bp.get("/home")
@login_required
def dashboard():  # type: ignore[no-untyped-def]
    user = h.actor()
    return redirect(url_for(next((page for permission, page in HOMES if can(user, permission)), "projects.inbox")))


@bp.get("/municipality")
@login_required
def municipality():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.HOME_MUNICIPALITY)
    session = get_session()
    challenges = reads.own_challenges(session, user)
    pairs = match_service().pairs(session, municipality_id=user.municipality_id, top=15)
    return render_template(
        "home/municipality.html", municipality=user.municipality, challenges=challenges, pairs=pairs,
        waiting=projects.waiting(session, user), projects=projects.project_list(session, user, "", 1),
        questions=questions.unanswered(session, user),
        organizations=people.organizations_by_id(session, [int(p.company) for p in pairs]),
        challenge_titles={c.id: c.title for c in challenges},
        technologies=reads.technologies_by_id(session, user, [int(c.technology_id) for p in pairs
                                                              for c in p.contributions]))


@bp.get("/company")
@login_required
def company():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.HOME_COMPANY)
    session = get_session()
    technologies = reads.own_technologies(session, user)
    pairs = match_service().pairs(session, organization_id=user.organization_id, top=15)
    return render_template(
        "home/company.html", organization=user.organization, technologies=technologies, pairs=pairs,
        waiting=projects.waiting(session, user), invitations=reads.pending_invitations(session, user),
        municipalities=people.municipalities_by_id(session, [int(p.municipality) for p in pairs]),
        challenges=reads.challenges_by_id(session, user, [int(c.challenge_id) for p in pairs for c in p.contributions]),
        technology_titles={t.id: t.title for t in technologies})


# The coordination page shows the top of its lists; the full list of open issues is the issue list.
COORDINATION_UNEXPLORED = 20
COORDINATION_OPEN_SHOWN = 20
# Of the unexplored matches, this many are open below the pending work; the rest are folded.
UNEXPLORED_SHOWN = 5


def _coordination_page(user: User, review_form: ReviewForm | None = None) -> str:
    session = get_session()
    open_ids = reads.open_challenge_ids_in_focus(session, user)
    # The first three of each open issue's list, best first, without the shortlisted pairs: read
    # from the engine's top-k table for every issue, explained only for the pairs shown.
    best = match_service().best_of_lists(session, open_ids, per_list=3, limit=COORDINATION_UNEXPLORED,
                                         exclude=lambda pairs: reads.shortlisted_among(session, pairs))
    challenges = reads.challenges_by_id(session, user, [c for c, _ in best])
    technologies = reads.technologies_by_id(session, user, [r.technology_id for _, r in best])
    unexplored = [(challenges[c], ranked) for c, ranked in best if c in challenges and ranked.technology_id in technologies]
    return render_template("home/coordination.html",
                           open_challenges=reads.open_challenges_in_focus(session, user, COORDINATION_OPEN_SHOWN),
                           open_count=len(open_ids), unexplored=unexplored, technologies=technologies,
                           pending=people.pending_applications(session, user), waiting=projects.waiting(session, user),
                           questions=questions.unanswered(session, user),
                           applicant_contact=people.applicant_contact, UNEXPLORED_SHOWN=UNEXPLORED_SHOWN,
                           review_form=review_form)


@bp.get("/coordination")
@login_required
def coordination():  # type: ignore[no-untyped-def]
    return _coordination_page(h.actor_with(Permission.COORDINATION_VIEW))


def _review_page(user: User, organization_id: int, decision: str, form: ReviewForm | None = None) -> str:
    """The confirmation step of a membership decision, with the applicant's details."""
    try:
        organization = people.pending_application(get_session(), organization_id, user)
    except NotFound:
        if form is None or get_session().get(Organization, organization_id) is None:
            raise
        # Decided by someone else meanwhile: back to the list, which says why.
        return _coordination_page(user, form)
    approve = decision == "approve"
    contact = people.applicant_contact(organization)
    errors = [*form.form_errors, *form.reason.errors] if form is not None else []
    return render_template(
        "confirm.html", danger=not approve,
        heading=_("この入会申請を承認しますか？") if approve else _("この入会申請を却下しますか？"),
        subject=organization.name,
        consequences=[_("申請した担当者がログインできるようになり、技術を登録して提案できるようになります。")] if approve
        else [_("申請した担当者はログインできないままになります。却下の理由は記録に残ります。")],
        details=[(_("会員種別"), CATEGORY_LABELS[organization.member_category]),
                 (_("担当者"), contact.display_name if contact else ""),
                 (_("担当者のメールアドレス"), contact.email if contact else ""),
                 (_("電話番号"), organization.contact_phone), (_("連絡先メールアドレス"), organization.contact_email),
                 (_("ウェブサイト"), organization.website), (_("事業内容"), organization.description)],
        errors=errors, action=url_for("home.review", organization_id=organization_id), hidden={"decision": decision},
        reason_field=_("理由（任意）") if approve else _("理由（必須）"), reason=form.reason.data if form else "",
        confirm_label=_("承認する") if approve else _("却下する"), cancel=url_for("home.coordination") + "#applications")


@bp.get("/coordination/applications/<int:organization_id>/<any(approve, reject):decision>")
@login_required
def confirm_review(organization_id: int, decision: str):  # type: ignore[no-untyped-def]
    return _review_page(h.actor_with(Permission.ORGANIZATION_REVIEW), organization_id, decision)


@bp.post("/coordination/applications/<int:organization_id>")
@login_required
def review(organization_id: int):  # type: ignore[no-untyped-def]
    user = h.actor()
    form = ReviewForm()
    if form.decision.data not in ("approve", "reject"):
        abort(400)  # the confirmation page sends one or the other; anything else is a malformed post
    approve = form.decision.data == "approve"
    return submit(
        form, lambda: accounts.review_membership(get_session(), organization_id, actor=user, approve=approve,
                                                 reason=form.reason.data or ""),
        page=lambda: _review_page(user, organization_id, form.decision.data or "", form),
        message=lambda org: _("%(name)s の入会を承認しました。", name=org.name) if approve
        else _("%(name)s の入会申請を却下しました。", name=org.name),
        done=lambda _org: url_for("home.coordination") + "#applications")


@bp.get("/organizations/<int:organization_id>")
@login_required
def organization(organization_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    org = people.organization(session, organization_id, user)
    return render_template("home/organization.html", organization=org,
                           technologies=reads.organization_technologies(session, org),
                           show_contact=can(user, Permission.CONTACT_VIEW, org))


def _staff_form() -> StaffUserForm:
    session = get_session()
    form = StaffUserForm()
    form.municipality_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(m.id), localized(m))
                                                              for m in all_municipalities(session)]
    form.field_keys.choices = [SelectChoice(f.key, localized(f)) for f in all_fields(session)]
    return form


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.USER_CREATE)
    form = _staff_form()

    def create() -> User:
        session = get_session()
        municipality_id = value_id("municipality_id", form.municipality_id.data)
        chosen = session.get(Municipality, municipality_id) if municipality_id is not None else None
        return accounts.create_user(
            session, actor=user, email=form.email.data or "", password=form.password.data or "",
            display_name=form.display_name.data or "", role=form.role.data or "",
            municipality=chosen.code if chosen else None,
            field_keys=form.field_keys.data if form.role.data == "coordinator" else ())

    return submit(
        form, create, page=lambda: render_template("home/users.html", form=form, people=people.staff_list(get_session())),
        message=lambda created: _("%(email)s を登録しました。", email=created.email),
        done=lambda _created: url_for("home.users"))
