"""One input form per workflow move: the single description of what a move asks for.

A move's form names its fields and their labels, parses what was typed (keeping the raw text,
so a refused move comes back exactly as typed) and turns it into the action's MoveInput. The
table of moves (who, from where, to where) stays in actions/workflow.py; the page renders every
form the same way. Field names are shared by all moves (scope, months, kpi_name, ...) so that the
HTTP contract does not depend on the page layout; element ids are made unique per move.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from models import Project

from .actions import workflow
from .forms import Form, LenientDateField, MultiCheckboxField, VersionField, lenient_number
from .japanese_input import format_number, parse_months, parse_yen

KPI_ROWS = 3

# How each move is offered on the project page. Moves that end a project or turn it back are never
# styled as the primary action, never the panel that opens by itself, and come after the moves
# that take it forward (right after proposing, the lead's only move is to withdraw: it stays shut).
MOVE_TONES: dict[str, str] = {"decline": "danger", "reject_pilot": "danger", "withdraw": "danger", "cancel": "danger",
                              "return_pilot": "secondary"}


def move_tone(move: workflow.Move) -> str:
    """primary (takes the project forward), secondary (turns it back) or danger (ends it)."""
    return MOVE_TONES.get(move.name, "primary")


def offered_order(moves: list[workflow.Move]) -> list[workflow.Move]:
    """Forward moves first, then those that turn back, then those that end the project."""
    rank = {"primary": 0, "secondary": 1, "danger": 2}
    return sorted(moves, key=lambda move: rank[move_tone(move)])  # stable: the table's order within a tone


class NumberField(StringField):
    """Text as typed (１２,０００, 1,200円, 120万円, ３か月, 半年), parsed as people in Japan write it
    (japanese_input); None when it does not parse: the action judges the range and says so."""

    def number(self, unit: str = "") -> float | None:
        value = lenient_number(self.data, unit=unit)
        return None if value is None else float(value)

    def whole_number(self) -> int | None:
        value = lenient_number(self.data, integer=True)
        return None if value is None else int(value)

    def months(self) -> int | None:
        try:
            return parse_months(self.data)
        except ValueError:
            return None

    def yen(self) -> int | None:
        try:
            return parse_yen(self.data)
        except ValueError:
            return None


class ListField(Field):
    """All values sent under one name, in order (the rows of the KPI table)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = list(valuelist)

    def _value(self) -> str:
        return ""

    def at(self, index: int) -> str:
        values = self.data or []
        return values[index] if index < len(values) else ""


class MoveForm(Form):
    """What every move sends: the version the page showed, and a comment (or a reason)."""

    version = VersionField()
    comment = TextAreaField(_l("コメント（任意）"))

    move: workflow.Move

    def bind_to(self, move: workflow.Move) -> MoveForm:
        self.move = move
        if move.needs_comment:
            self.comment.label.text = _l("理由（必須）")
        for field in self:
            # Several moves' forms share one page: ids must differ, names stay the contract.
            field.id = field.label.field_id = f"move-{move.name}-{field.name}"
        return self

    def to_input(self, project: Project) -> workflow.MoveInput:
        return workflow.MoveInput(expected_version=self.version.data, comment=self.comment.data or "")


class RequestPilotForm(MoveForm):
    scope = TextAreaField(_l("実証の範囲（何を、どこで、誰と）"))
    months = NumberField(_l("期間（か月）"), description=_l("例：6か月、半年、1年"))
    data_handling = TextAreaField(_l("データの取扱い（個人情報・保存場所など）"))
    cost_yen = NumberField(_l("費用（円）"), description=_l("例：120万円、1,200,000円"))
    funding = StringField(_l("財源（国の交付金など）"))
    kpi_name = ListField(_l("指標"))
    kpi_unit = ListField(_l("単位"))
    kpi_baseline = ListField(_l("基準値"))
    kpi_target = ListField(_l("目標値"))
    kpis_label = _l("KPI（基準値と目標値）")

    def to_input(self, project: Project) -> workflow.MoveInput:
        kpis = [{"name": self.kpi_name.at(i), "unit": self.kpi_unit.at(i),
                 "baseline": lenient_number(self.kpi_baseline.at(i), unit=self.kpi_unit.at(i)),
                 "target": lenient_number(self.kpi_target.at(i), unit=self.kpi_unit.at(i))}
                for i in range(max(len(self.kpi_name.data or []), 0))]
        return workflow.MoveInput(
            expected_version=self.version.data, comment=self.comment.data or "", scope=self.scope.data or "",
            months=self.months.months(), data_handling=self.data_handling.data or "",
            cost_yen=self.cost_yen.yen(), funding=self.funding.data or "", kpis=kpis)


class ApprovePilotForm(MoveForm):
    checklist = MultiCheckboxField(_l("承認のチェックリスト"),
                                   choices=[SelectChoice(k, label) for k, label in workflow.APPROVAL_CHECKLIST.items()])

    def to_input(self, project: Project) -> workflow.MoveInput:
        return workflow.MoveInput(expected_version=self.version.data, comment=self.comment.data or "",
                                  checklist=list(self.checklist.data or []))


class StartPilotForm(MoveForm):
    start_date = LenientDateField(_l("開始日"), render_kw={"placeholder": "2027-04-01"})

    def to_input(self, project: Project) -> workflow.MoveInput:
        return workflow.MoveInput(expected_version=self.version.data, comment=self.comment.data or "",
                                  start_date=self.start_date.data)


class EvaluateForm(MoveForm):
    """One result per KPI of the project: the fields are added for the project at hand."""

    comment = TextAreaField(_l("評価の概要（必須）"))

    @classmethod
    def for_project(cls, project: Project) -> type[EvaluateForm]:
        form_class = type("ProjectEvaluateForm", (cls,), {})
        for kpi in project.kpis:
            label = f"{kpi.name}（{_l('目標')} {format_number(kpi.target)} {kpi.unit}）"
            setattr(form_class, f"kpi_result_{kpi.id}", NumberField(label, render_kw={"inputmode": "decimal"}))
        return form_class

    def to_input(self, project: Project) -> workflow.MoveInput:
        return workflow.MoveInput(expected_version=self.version.data, comment=self.comment.data or "",
                                  kpi_results={k.id: self[f"kpi_result_{k.id}"].number(k.unit) for k in project.kpis})


class ImplementForm(MoveForm):
    contract_type = SelectField(_l("契約方式"), validate_choice=False,
                                choices=[SelectChoice(c.value, label) for c, label in workflow.CONTRACT_LABELS.items()])
    start_date = LenientDateField(_l("開始日"), render_kw={"placeholder": "2027-04-01"})

    def to_input(self, project: Project) -> workflow.MoveInput:
        return workflow.MoveInput(expected_version=self.version.data, comment=self.comment.data or "",
                                  contract_type=self.contract_type.data or "", start_date=self.start_date.data)


_FORMS: dict[str, type[MoveForm]] = {
    "request_pilot": RequestPilotForm, "approve_pilot": ApprovePilotForm, "start_pilot": StartPilotForm,
    "implement": ImplementForm,
}


def form_for(move: workflow.Move, project: Project, **kwargs: Any) -> MoveForm:
    """The input form of this move on this project (bound to the request's data when posted)."""
    if move.name == "evaluate":
        form_class: type[MoveForm] = EvaluateForm.for_project(project)
    else:
        form_class = _FORMS.get(move.name, MoveForm)
    return form_class(**kwargs).bind_to(move)


def blank_forms(moves: list[workflow.Move], project: Project) -> dict[str, MoveForm]:
    """Empty forms for the moves a page offers (formdata=None: never read the request)."""
    return {m.name: form_for(m, project, formdata=None, data={"version": project.version}) for m in moves}

