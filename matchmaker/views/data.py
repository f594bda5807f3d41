"""Data in and out: spreadsheet imports (upload, preview, commit), CSV and Excel exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from .. import sheets, tabular
from ..actions import imports
from ..actions.catalogue import get_challenge, get_technology
from ..db import get_session
from ..domain.errors import DomainError
from ..errors import status_of
from ..forms import ButtonForm, ImportForm
from ..i18n import current_language
from ..policies import Permission, can
from ..queries import dashboard as dashboard_figures
from ..queries import exports
from ..queries.dashboard import Table
from ..security import accepts_uploads
from . import _helpers as h
from ._forms import submit

bp = Blueprint("data", __name__)

FORMATS = ("csv", "xlsx")
KIND_TITLES = {sheets.CHALLENGES: "地域課題", sheets.TECHNOLOGIES: "技術・ソリューション"}


def _kind(kind: str) -> str:
    if kind not in sheets.COLUMNS:
        abort(404)
    return kind


def download(table: Table, fmt: str, filename: str) -> Response:
    """A table as a CSV (UTF-8 with BOM, CRLF) or an .xlsx attachment."""
    if fmt == "csv":
        body, content_type = tabular.to_csv(table.header, table.rows), tabular.CSV_TYPE
    elif fmt == "xlsx":
        body, content_type = tabular.to_xlsx([(str(table.title), table.header, table.rows)]), tabular.XLSX_TYPE
    else:
        abort(404)
    return Response(body, content_type=content_type,
                    headers={"Content-Disposition": f"attachment; filename={filename}.{fmt}"})


@bp.get("/data")
@login_required
def index():  # type: ignore[no-untyped-def]
    user = h.actor()
    importable = [kind for kind, permission in ((sheets.CHALLENGES, Permission.CHALLENGE_CREATE),
                                                (sheets.TECHNOLOGIES, Permission.TECHNOLOGY_CREATE))
                  if can(user, permission)]
    return render_template("data/index.html", importable=importable, formats=FORMATS, user=user,
                           dashboard_keys=dashboard_figures.KEYS)


# -- exports ---------------------------------------------------------------------------------
@bp.get("/exports/<kind>.<fmt>")
@login_required
def export(kind: str, fmt: str):  # type: ignore[no-untyped-def]
    session, user = get_session(), h.actor()
    builders = {sheets.CHALLENGES: lambda: exports.challenges(session, user, request.args),
                sheets.TECHNOLOGIES: lambda: exports.technologies(session, user, request.args),
                "projects": lambda: exports.projects(session, user),
                "project_history": lambda: exports.project_history(session, user),
                "questions": lambda: exports.questions(session, user)}
    if kind not in builders or fmt not in FORMATS:
        abort(404)
    if kind == "projects" and fmt == "xlsx":
        # One workbook: the projects and, on a second sheet, every stage change.
        tables = [exports.projects(session, user), exports.project_history(session, user)]
        body = tabular.to_xlsx([(str(t.title), t.header, t.rows) for t in tables])
        return Response(body, content_type=tabular.XLSX_TYPE,
                        headers={"Content-Disposition": "attachment; filename=ospf-projects.xlsx"})
    return download(builders[kind](), fmt, f"ospf-{kind}")


@bp.get("/challenges/<int:challenge_id>/ranking.<fmt>")
@login_required
def challenge_ranking(challenge_id: int, fmt: str):  # type: ignore[no-untyped-def]
    session, user = get_session(), h.actor()
    table = exports.ranking_for_challenge(session, user, get_challenge(session, challenge_id, actor=user))
    return download(table, fmt, f"ospf-ranking-challenge-{challenge_id}")


@bp.get("/technologies/<int:technology_id>/ranking.<fmt>")
@login_required
def technology_ranking(technology_id: int, fmt: str):  # type: ignore[no-untyped-def]
    session, user = get_session(), h.actor()
    table = exports.ranking_for_technology(session, user, get_technology(session, technology_id, actor=user))
    return download(table, fmt, f"ospf-ranking-technology-{technology_id}")


# -- imports ---------------------------------------------------------------------------------
# The file, and the multipart envelope and CSRF field around it.
accepts_uploads("data.upload", imports.MAX_IMPORT_BYTES + 64 * 1024)


@bp.get("/imports/<kind>/template.<fmt>")
@login_required
def template(kind: str, fmt: str):  # type: ignore[no-untyped-def]
    kind = _kind(kind)
    h.actor_with(Permission.CHALLENGE_CREATE if kind == sheets.CHALLENGES else Permission.TECHNOLOGY_CREATE)
    table = Table(kind, _(KIND_TITLES[kind]), sheets.header(kind, current_language()), sheets.TEMPLATE_EXAMPLES[kind])
    return download(table, fmt, f"ospf-{kind}-template")


@bp.route("/imports/<kind>", methods=["GET", "POST"])
@login_required
def upload(kind: str):  # type: ignore[no-untyped-def]
    kind = _kind(kind)
    user = h.actor_with(Permission.CHALLENGE_CREATE if kind == sheets.CHALLENGES else Permission.TECHNOLOGY_CREATE)
    form = ImportForm()

    def stage():  # type: ignore[no-untyped-def]
        upload = form.file.data
        staged = imports.stage_import(get_session(), actor=user, kind=kind, filename=upload.filename or "",
                                      data=upload.read(imports.MAX_IMPORT_BYTES + 1))
        imports.preview_import(get_session(), staged.id, actor=user)  # remembers what the preview shows
        return staged

    return submit(form, stage, page=lambda: render_template(
        "data/upload.html", form=form, kind=kind, title=_(KIND_TITLES[kind]), columns=sheets.COLUMNS[kind],
        max_rows=imports.MAX_IMPORT_ROWS, max_mb=imports.MAX_IMPORT_BYTES // (1024 * 1024),
        assigns=can(user, Permission.CHALLENGE_ASSIGN if kind == sheets.CHALLENGES else Permission.TECHNOLOGY_ASSIGN)),
        done=lambda staged: url_for("data.preview", staged_id=staged.id))


def _preview_page(staged_id: int, report: imports.ImportReport | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    session, user = get_session(), h.actor()
    staged = imports.get_staged(session, staged_id, actor=user)
    if report is None:
        report = imports.preview_import(session, staged_id, actor=user)
    return render_template("data/preview.html", staged=staged, report=report, form=ButtonForm(),
                           title=_(KIND_TITLES[staged.kind]), imports=imports), status


@bp.get("/imports/<int:staged_id>")
@login_required
def preview(staged_id: int):  # type: ignore[no-untyped-def]
    return _preview_page(staged_id)


@bp.post("/imports/<int:staged_id>/commit")
@login_required
def commit(staged_id: int):  # type: ignore[no-untyped-def]
    session, user = get_session(), h.actor()
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        report = imports.commit_import(session, staged_id, request.form.get("sha256", ""), actor=user)
    except imports.ImportRefused as refused:
        session.rollback()
        return _preview_page(staged_id, refused.report, 409)
    except DomainError as error:
        session.rollback()
        flash(error.message, "error")
        return _preview_page(staged_id, status=status_of(error))
    session.commit()
    flash(_("取り込みました: 新規 %(created)d件、更新 %(updated)d件、変更なし %(unchanged)d件。",
            created=report.count(imports.CREATE), updated=report.count(imports.UPDATE),
            unchanged=report.count(imports.UNCHANGED)), "success")
    return redirect(url_for("data.preview", staged_id=staged_id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
    # An upload over the limit (refused before it is parsed: security.accepts_uploads) says which
    # limit, instead of the app-wide "shorten what you typed".
    message = _("ファイルが大きすぎます。%(mb)d MB以下のファイルを選んでください（行数は%(rows)d行まで）。",
                mb=imports.MAX_IMPORT_BYTES // (1024 * 1024), rows=imports.MAX_IMPORT_ROWS)
    return render_template("errors/error.html", status=413, title=_("ファイルが大きすぎます"), message=message), 413
