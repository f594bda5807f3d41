"""Importing issues and technologies from a spreadsheet: upload, preview, then all or nothing.

The uploaded bytes are staged in the database (StagedImport: the uploader's, with its SHA-256,
for a day). The preview is a dry run of the commit itself: every row goes through the same
catalogue actions as the pages (so the same permissions and validation), inside a savepoint
that is rolled back and never reaches the change feed. The commit runs the same rows again, for
real; any problem in any row raises ImportRefused and the caller rolls back: nothing changes.

Rows are matched to what exists by a stable key per owner (外部キー, unique per municipality or
organisation) or by the system ID an export carries, so importing the same file twice changes
nothing the second time. The preview remembers the version of each row it showed; a row edited
by someone else before the commit makes the commit a conflict instead of a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from models import (
    BudgetRange,
    Challenge,
    ChallengeStatus,
    Field,
    Maturity,
    Municipality,
    Organization,
    PriceBand,
    StagedImport,
    Technology,
    User,
    utcnow,
)
from models.feed import dry_run

from .. import sheets, tabular
from ..domain.errors import Conflict, DomainError, NotFound, ValidationError
from ..parsing import NotANumber, parse_id
from ..policies import Permission, can, require
from ..readers import CellError, NameIndex, Reading, parse_bool, parse_date, split_list
from ..sheets import CHALLENGES, TECHNOLOGIES
from . import catalogue
from .audit import record_change
from .validation import clean_text

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 1000
STAGED_FOR = dt.timedelta(hours=24)
KEY_MAX = 64
CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"

# Which column an action's field error belongs to.
_FIELD_COLUMNS = {
    "title": "title", "description": "description", "field_keys": "fields", "target": "target",
    "budget_range": "budget_range", "available_data": "available_data", "status": "status",
    "municipality_id": "municipality", "maturity": "maturity", "price_band": "price_band",
    "deployed_municipality_ids": "deployed_in", "organization_id": "organization", "reason": "status",
}
# Common words for the fields, beside their names and keys (ヘルスケア → health).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "health": ("ヘルスケア", "健康", "医療", "ヘルス", "healthcare"),
    "elderly": ("高齢者", "介護", "高齢者福祉", "elderly care"),
    "childcare": ("子育て", "保育", "child care"),
    "mobility": ("移動", "交通", "モビリティ", "transport"),
    "tourism": ("観光", "インバウンド", "tourism"),
    "manufacturing": ("ものづくり", "製造", "製造業"),
    "safety": ("防災", "安全", "安心", "防犯", "disaster prevention"),
    "data": ("データ", "オープンデータ", "data"),
    "admin_dx": ("DX", "行政デジタル化", "電子申請", "e-government"),
    "education": ("学校", "教育"),
    "finance": ("金融", "キャッシュレス", "cashless"),
    "agriculture": ("農業", "食", "農林水産"),
    "environment": ("環境", "エネルギー", "脱炭素", "energy"),
}


class ImportRefused(ValidationError):
    """The file has problems; nothing was imported. `report` lists them row by row."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(_l("取り込めない行があります。何も変更していません。"))
        self.report = report


@dataclass
class Problem:
    line: int
    column: str
    message: Any


@dataclass
class Interpretation:
    column: str
    raw: str
    shown: str


@dataclass
class RowReport:
    line: int
    key: str
    title: str
    owner: str = ""
    outcome: str = ERROR
    entity_id: int | None = None
    before: tuple[int | None, int | None] = (None, None)  # (id, version) of the row it meets, before the import
    interpretations: list[Interpretation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImportReport:
    kind: str
    filename: str
    encoding: str = ""
    rows: list[RowReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # about the whole file (line 0) or its header (line 1)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows) and all(not r.problems for r in self.rows)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for r in self.rows for p in r.problems)]


# -- staging -----------------------------------------------------------------------------------
def _permission(kind: str) -> Permission:
    if kind == CHALLENGES:
        return Permission.CHALLENGE_CREATE
    if kind == TECHNOLOGIES:
        return Permission.TECHNOLOGY_CREATE
    raise NotFound()


def stage_import(session: Session, *, actor: User, kind: str, filename: str, data: bytes) -> StagedImport:
    """Keep an uploaded file for its preview and commit. Raises NotFound (unknown kind),
    PermissionDenied or ValidationError (too large or empty)."""
    require(actor, _permission(kind))
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(_l("ファイルが大きすぎます（上限 %(mb)d MB）。", mb=MAX_IMPORT_BYTES // (1024 * 1024)))
    if not data:
        raise ValidationError(_l("ファイルが空です。見出し行とデータ行を含むファイルを選んでください。"))
    now = utcnow()
    # An abandoned upload is not kept past its expiry: each new one clears the uploader's old ones.
    session.execute(delete(StagedImport).where(StagedImport.owner_id == actor.id, StagedImport.expires_at < now))
    staged = StagedImport(owner_id=actor.id, kind=kind, filename=(filename or "upload")[-200:], content=data,
                          sha256=hashlib.sha256(data).hexdigest(), created_at=now, expires_at=now + STAGED_FOR)
    session.add(staged)
    session.flush()
    return staged


def get_staged(session: Session, staged_id: int, *, actor: User) -> StagedImport:
    """The actor's own staged import, not yet expired. Raises NotFound (nobody learns of another's)."""
    staged = session.get(StagedImport, staged_id)
    if staged is None or staged.owner_id != actor.id or _aware(staged.expires_at) < utcnow():
        raise NotFound(_l("この取り込みは見つからないか、期限が切れました。もう一度ファイルを選んでください。"))
    require(actor, _permission(staged.kind))
    return staged


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def preview_import(session: Session, staged_id: int, *, actor: User) -> ImportReport:
    """What the commit would do, row by row, without changing anything; remembers each row's
    version for the commit's conflict check. Raises NotFound or PermissionDenied."""
    staged = get_staged(session, staged_id, actor=actor)
    with dry_run(session):
        report = _run(session, staged, actor, seen=None)
    if staged.committed_at is None:
        staged.seen = {str(r.line): list(r.before) for r in report.rows}
    return report


def commit_import(session: Session, staged_id: int, sha256: str, *, actor: User) -> ImportReport:
    """Import every row, or nothing. Raises NotFound, PermissionDenied, Conflict (a different
    file, already imported, or rows changed since the preview) or ImportRefused."""
    staged = get_staged(session, staged_id, actor=actor)
    if staged.sha256 != sha256:
        raise Conflict(_l("確認したファイルと取り込むファイルが一致しません。もう一度ファイルを選んでください。"))
    if staged.committed_at is not None:
        raise Conflict(_l("このファイルは既に取り込みました。"))
    if staged.seen is None:
        raise Conflict(_l("取り込む前に内容を確認してください。"))
    report = _run(session, staged, actor, seen=staged.seen)
    if not report.ok:
        raise ImportRefused(report)
    staged.committed_at = utcnow()
    record_change(session, actor=actor, entity_type="import", entity_id=staged.id, action=f"import:{staged.kind}",
                  after={"filename": staged.filename, "sha256": staged.sha256,
                         "created": [r.entity_id for r in report.rows if r.outcome == CREATE],
                         "updated": [r.entity_id for r in report.rows if r.outcome == UPDATE],
                         "unchanged": report.count(UNCHANGED)})
    return report


# -- one pass over the file ----------------------------------------------------------------------
def _run(session: Session, staged: StagedImport, actor: User, *, seen: dict[str, Any] | None) -> ImportReport:
    report = ImportReport(staged.kind, staged.filename)
    try:
        sheet = tabular.read(staged.filename, staged.content, max_rows=MAX_IMPORT_ROWS)
    except tabular.FileProblem as problem:
        report.problems.append(Problem(0, "", problem.message))
        return report
    report.encoding = sheet.encoding
    positions, report.ignored_columns, repeated = sheets.find_columns(staged.kind, sheet.header)
    labels = {key: sheet.header[position] for key, position in positions.items()}
    columns = sheets.COLUMNS[staged.kind]
    owner_column = "municipality" if staged.kind == CHALLENGES else "organization"
    assigns = can(actor, Permission.CHALLENGE_ASSIGN if staged.kind == CHALLENGES else Permission.TECHNOLOGY_ASSIGN)
    missing = [c for c in columns if (c.required or (c.key == owner_column and assigns)) and c.key not in positions]
    if "key" not in positions and "id" not in positions:
        missing.insert(0, columns[0])
    for column in missing:
        report.problems.append(Problem(1, column.ja, _l("見出し「%(ja)s」（%(en)s）の列がありません。",
                                                        ja=column.ja, en=column.en)))
    for text in repeated:
        report.problems.append(Problem(1, text, _l("見出し「%(name)s」が2回あります。", name=text)))
    if not sheet.rows:
        report.problems.append(Problem(0, "", _l("データ行がありません。")))
    if report.problems:
        return report
    importer = (_ChallengeRows if staged.kind == CHALLENGES else _TechnologyRows)(session, actor, assigns, labels)
    first_line: dict[tuple[Any, str], int] = {}
    for row in sheet.rows:
        cells = {key: (row.cells[p] if p < len(row.cells) else "").strip() for key, p in positions.items()}
        line_report = RowReport(row.line, cells.get("key", ""), cells.get("title", ""))
        report.rows.append(line_report)
        for key, position in positions.items():
            if position in row.formula_columns:
                line_report.problems.append(Problem(row.line, labels[key], _l(
                    "数式のセルは取り込めません。値として貼り付けてから保存してください。")))
        if line_report.problems:
            continue
        values = importer.read(cells, line_report)
        if line_report.problems or values is None:
            continue
        identity = (values.get("_owner_id"), values["key"] or f"#{values['id']}")
        if identity in first_line:
            line_report.problems.append(Problem(row.line, labels.get("key") or labels.get("id", ""), _l(
                "%(line)d行目と同じ行です（外部キーかIDが重複しています）。", line=first_line[identity])))
            continue
        first_line[identity] = row.line
        expected = seen.get(str(row.line)) if seen is not None else None
        importer.apply(values, line_report, expected=expected, checking_seen=seen is not None)
    return report


class _Rows:
    """Reading and applying the rows of one kind; subclasses name the columns and actions."""

    def __init__(self, session: Session, actor: User, assigns: bool, labels: dict[str, str]) -> None:
        self.session, self.actor, self.assigns, self.labels = session, actor, assigns, labels
        fields = list(session.scalars(select(Field).order_by(Field.position)))
        self.fields = NameIndex([(f, (f.key, f.name_ja, f.name_en, *FIELD_ALIASES.get(f.key, ())), f.name_ja)
                                 for f in fields])
        municipalities = list(session.scalars(select(Municipality).order_by(Municipality.code)))
        self.municipalities = NameIndex(
            [(m, (m.name, m.code, m.code[:5], m.name_en, m.reading), m.name) for m in municipalities],
            completions=("市", "町", "村"), prefixes=("大阪府",))

    def cell(self, report: RowReport, key: str, read: Callable[[], Reading[Any]], raw: str) -> Any:
        try:
            reading = read()
        except CellError as error:
            report.problems.append(Problem(report.line, self.labels.get(key, key), error.message))
            return None
        if reading.shown:
            report.interpretations.append(Interpretation(self.labels.get(key, key), raw, reading.shown))
        return reading.value

    def common(self, cells: dict[str, str], report: RowReport) -> dict[str, Any] | None:
        values: dict[str, Any] = {"key": cells.get("key", ""), "id": None}
        key = values["key"]
        try:
            values["key"] = clean_text(key, field="key", max_length=KEY_MAX, required=False)
        except ValidationError as error:
            report.problems.extend(Problem(report.line, self.labels["key"], m) for ms in error.field_errors.values()
                                   for m in ms)
        if cells.get("id"):
            try:
                values["id"] = parse_id(cells["id"])
            except NotANumber:
                report.problems.append(Problem(report.line, self.labels["id"], _l("IDは1以上の整数で書いてください。")))
        if not values["key"] and values["id"] is None and not report.problems:
            report.problems.append(Problem(report.line, self.labels.get("key", "key"), _l(
                "外部キーを入れてください。同じファイルを再度取り込んでも重複しないよう、行ごとに一意の値が必要です。")))
        values["fields"] = self.cell(report, "fields", lambda: self._fields(cells.get("fields", "")),
                                     cells.get("fields", ""))
        return values

    def _fields(self, text: str) -> Reading[list[str]]:
        names = split_list(text)
        if not names:
            raise CellError(_l("分野を1つ以上書いてください。"))
        readings = [self.fields.match(name, what=_l("分野")) for name in names]
        found = list(dict.fromkeys(r.value for r in readings))
        shown = "; ".join(f.name_ja for f in found) if any(r.shown for r in readings) else None
        return Reading([f.key for f in found], shown)

    def _municipality_list(self, text: str) -> Reading[list[Municipality]]:
        readings = [self.municipalities.match(name, what=_l("自治体")) for name in split_list(text)]
        found = list(dict.fromkeys(r.value for r in readings))
        return Reading(found, "; ".join(m.name for m in found) if any(r.shown for r in readings) else None)

    def fail(self, report: RowReport, error: DomainError) -> None:
        if isinstance(error, ValidationError) and error.field_errors:
            for name, messages in error.field_errors.items():
                column = self.labels.get(_FIELD_COLUMNS.get(name, name), name)
                report.problems.extend(Problem(report.line, column, m) for m in messages)
        else:
            report.problems.append(Problem(report.line, "", error.message))
        report.outcome = ERROR

    def apply(self, values: dict[str, Any], report: RowReport, *, expected: Any, checking_seen: bool) -> None:
        savepoint = self.session.begin_nested()
        try:
            existing = self.find(values)
            if checking_seen and (expected is None or [existing.id if existing else None,
                                                        existing.version if existing else None] != list(expected)):
                raise Conflict(_l("この行の対象は確認の後に他の人が変更しました。もう一度ファイルを読み込んでください。"))
            report.before = (existing.id, existing.version) if existing is not None else (None, None)
            report.entity_id = report.before[0]
            if existing is not None and self.same(existing, values):
                report.outcome = UNCHANGED
            elif existing is not None:
                self.update(existing, values)
                report.outcome = UPDATE
            else:
                report.entity_id = self.create(values).id
                report.outcome = CREATE
        except DomainError as error:
            savepoint.rollback()
            self.fail(report, error)
            return
        savepoint.commit()

    def set_key(self, entity: Challenge | Technology, key: str) -> None:
        if key and entity.external_key != key:
            entity.external_key = key
            self.session.flush()

    # Subclasses: read, find, same, create, update.
    def read(self, cells: dict[str, str], report: RowReport) -> dict[str, Any] | None:
        raise NotImplementedError

    def find(self, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def same(self, entity: Any, values: dict[str, Any]) -> bool:
        raise NotImplementedError

    def create(self, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, entity: Any, values: dict[str, Any]) -> None:
        raise NotImplementedError


_LEGAL_FORMS = re.compile(r"株式会社|有限会社|合同会社|一般社団法人|一般財団法人|特定非営利活動法人|[（(]株[）)]|"
                          r"\b(?:Co\.,? ?Ltd\.?|Inc\.?|Ltd\.?|K\.K\.)", re.IGNORECASE)


def _bare(name: str) -> str:
    """An organisation's name without its legal form, as people often write it (みまもりテック)."""
    return _LEGAL_FORMS.sub("", name).strip(" ,.")


def _text(cells: dict[str, str], key: str) -> str:
    return cells.get(key, "").replace("\r\n", "\n")


class _ChallengeRows(_Rows):
    def read(self, cells: dict[str, str], report: RowReport) -> dict[str, Any] | None:
        values = self.common(cells, report)
        if values is None:
            return None
        municipality: Municipality | None
        if cells.get("municipality"):
            municipality = self.cell(report, "municipality",
                                     lambda: self.municipalities.match(cells["municipality"], what=_l("自治体")),
                                     cells["municipality"])
        elif self.assigns:
            report.problems.append(Problem(report.line, self.labels.get("municipality", "自治体"),
                                           _l("自治体を書いてください。")))
            municipality = None
        else:
            municipality = self.actor.municipality
        if municipality is not None and not self.assigns and municipality.id != self.actor.municipality_id:
            report.problems.append(Problem(report.line, self.labels["municipality"],
                                           _l("自分の自治体の課題だけを取り込めます。")))
        values["municipality"] = municipality
        values["_owner_id"] = municipality.id if municipality is not None else None
        report.owner = municipality.name if municipality is not None else ""
        values["budget_range"] = self.cell(report, "budget_range", lambda: sheets.read_choice(
            BudgetRange, cells.get("budget_range", ""), default=BudgetRange.UNDECIDED), cells.get("budget_range", ""))
        values["status"] = self.cell(report, "status", lambda: sheets.read_choice(
            ChallengeStatus, cells.get("status", ""), default=ChallengeStatus.OPEN), cells.get("status", ""))
        values["desired_start"] = self.cell(report, "desired_start", lambda: parse_date(cells["desired_start"]),
                                            cells["desired_start"]) if cells.get("desired_start") else None
        for key in ("title", "description", "target", "available_data"):
            values[key] = _text(cells, key)
        return values

    def find(self, values: dict[str, Any]) -> Challenge | None:
        municipality = values["municipality"]
        if values["id"] is not None:
            found = self.session.get(Challenge, values["id"])
            if found is None or found.municipality_id != municipality.id:
                raise ValidationError(field_errors={"id": [_l("このIDの課題はこの自治体にありません。")]})
            return catalogue.get_challenge(self.session, found.id, actor=self.actor)
        return self.session.scalar(select(Challenge).where(Challenge.municipality_id == municipality.id,
                                                           Challenge.external_key == values["key"])
                                   .options(selectinload(Challenge.fields)))

    def _input(self, values: dict[str, Any]) -> catalogue.ChallengeInput:
        return catalogue.ChallengeInput(
            title=values["title"], description=values["description"], field_keys=values["fields"],
            target=values["target"], budget_range=values["budget_range"].value, desired_start=values["desired_start"],
            available_data=values["available_data"], status=values["status"].value,
            municipality_id=values["municipality"].id)

    def same(self, entity: Challenge, values: dict[str, Any]) -> bool:
        return (entity.title, entity.description, {f.key for f in entity.fields}, entity.target, entity.budget_range,
                entity.desired_start, entity.available_data, entity.status, entity.external_key or "") == (
            values["title"], values["description"], set(values["fields"]), values["target"], values["budget_range"],
            values["desired_start"], values["available_data"], values["status"], values["key"] or entity.external_key or "")

    def create(self, values: dict[str, Any]) -> Challenge:
        challenge = catalogue.create_challenge(self.session, self._input(values), actor=self.actor)
        self.set_key(challenge, values["key"])
        return challenge

    def update(self, entity: Challenge, values: dict[str, Any]) -> None:
        catalogue.update_challenge(self.session, entity.id, self._input(values), actor=self.actor,
                                   expected_version=entity.version)
        if entity.status is not values["status"]:
            catalogue.change_challenge_status(self.session, entity.id, values["status"].value, actor=self.actor,
                                              expected_version=entity.version)
        self._unique_key(Challenge.municipality_id == entity.municipality_id, Challenge, entity, values["key"])
        self.set_key(entity, values["key"])

    def _unique_key(self, owner: Any, model: Any, entity: Any, key: str) -> None:
        if key and entity.external_key != key and self.session.scalar(
                select(model.id).where(owner, model.external_key == key, model.id != entity.id)) is not None:
            raise ValidationError(field_errors={"key": [_l("この外部キーは別の行で使われています。")]})


class _TechnologyRows(_Rows):
    def __init__(self, session: Session, actor: User, assigns: bool, labels: dict[str, str]) -> None:
        super().__init__(session, actor, assigns, labels)
        organizations = list(session.scalars(select(Organization).order_by(Organization.name))) if assigns else []
        self.organizations = NameIndex([(o, (o.name, _bare(o.name), *([o.name_en, _bare(o.name_en)] if o.name_en else [])),
                                         o.name) for o in organizations])

    def read(self, cells: dict[str, str], report: RowReport) -> dict[str, Any] | None:
        values = self.common(cells, report)
        if values is None:
            return None
        organization: Organization | None
        if self.assigns:
            organization = self.cell(report, "organization", lambda: self.organizations.match(
                cells["organization"], what=_l("団体")), cells["organization"]) if cells.get("organization") else None
            if organization is None and not cells.get("organization"):
                report.problems.append(Problem(report.line, self.labels.get("organization", "団体"),
                                               _l("団体を書いてください。")))
        else:
            organization = self.actor.organization
            own = organization.name if organization is not None else ""
            if cells.get("organization") and organization is not None and not self._names_own(cells["organization"]):
                report.problems.append(Problem(report.line, self.labels["organization"],
                                               _l("自分の団体（%(name)s）の技術だけを取り込めます。", name=own)))
        values["organization"] = organization
        values["_owner_id"] = organization.id if organization is not None else None
        report.owner = organization.name if organization is not None else ""
        values["maturity"] = self.cell(report, "maturity", lambda: sheets.read_choice(
            Maturity, cells.get("maturity", ""), default=Maturity.CONCEPT), cells.get("maturity", ""))
        values["price_band"] = self.cell(report, "price_band", lambda: sheets.read_choice(
            PriceBand, cells.get("price_band", ""), default=PriceBand.ON_REQUEST), cells.get("price_band", ""))
        values["deployed_in"] = self.cell(report, "deployed_in", lambda: self._municipality_list(
            cells.get("deployed_in", "")), cells.get("deployed_in", ""))
        values["retired"] = self.cell(report, "retired", lambda: parse_bool(cells.get("retired", "")),
                                      cells.get("retired", ""))
        values["title"], values["description"] = _text(cells, "title"), _text(cells, "description")
        return values

    def _names_own(self, text: str) -> bool:
        organization = self.actor.organization
        assert organization is not None
        from ..readers import fold

        return fold(text) in {fold(organization.name), fold(organization.name_en or organization.name)}

    def find(self, values: dict[str, Any]) -> Technology | None:
        organization = values["organization"]
        if values["id"] is not None:
            found = self.session.get(Technology, values["id"])
            if found is None or found.organization_id != organization.id:
                raise ValidationError(field_errors={"id": [_l("このIDの技術はこの団体にありません。")]})
            return catalogue.get_technology(self.session, found.id, actor=self.actor)
        return self.session.scalar(select(Technology).where(Technology.organization_id == organization.id,
                                                            Technology.external_key == values["key"]))

    def _input(self, values: dict[str, Any]) -> catalogue.TechnologyInput:
        return catalogue.TechnologyInput(
            title=values["title"], description=values["description"], field_keys=values["fields"],
            maturity=values["maturity"].value, price_band=values["price_band"].value,
            deployed_municipality_ids=[m.id for m in values["deployed_in"]], organization_id=values["organization"].id)

    def same(self, entity: Technology, values: dict[str, Any]) -> bool:
        return (entity.title, entity.description, {f.key for f in entity.fields}, entity.maturity, entity.price_band,
                {m.id for m in entity.deployed_in}, entity.is_retired, entity.external_key or "") == (
            values["title"], values["description"], set(values["fields"]), values["maturity"], values["price_band"],
            {m.id for m in values["deployed_in"]}, values["retired"], values["key"] or entity.external_key or "")

    def create(self, values: dict[str, Any]) -> Technology:
        technology = catalogue.create_technology(self.session, self._input(values), actor=self.actor)
        self.set_key(technology, values["key"])
        if values["retired"]:
            catalogue.set_technology_retired(self.session, technology.id, True, actor=self.actor,
                                             expected_version=technology.version)
        return technology

    def update(self, entity: Technology, values: dict[str, Any]) -> None:
        catalogue.update_technology(self.session, entity.id, self._input(values), actor=self.actor,
                                    expected_version=entity.version)
        if entity.is_retired != values["retired"]:
            catalogue.set_technology_retired(self.session, entity.id, values["retired"], actor=self.actor,
                                             expected_version=entity.version)
        if values["key"] and entity.external_key != values["key"] and self.session.scalar(
                select(Technology.id).where(Technology.organization_id == entity.organization_id,
                                            Technology.external_key == values["key"], Technology.id != entity.id)):
            raise ValidationError(field_errors={"key": [_l("この外部キーは別の行で使われています。")]})
        self.set_key(entity, values["key"])
