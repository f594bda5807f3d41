"""The API's request and response shapes (pydantic v2): they validate requests and answers, and the
OpenAPI document is generated from them (openapi.py), so the two never drift apart.

Requests are checked for shape and type here (strict: no "12" for 12, no unknown members); what
the pages check (lengths, control characters, known fields and municipalities, who may do what)
stays in the actions, which the API calls exactly as the pages do.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models import BudgetRange, ChallengeStatus, Maturity, PriceBand, Stage

from ..parsing import MAX_ID
from ..queries.reference import REGIONS

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A row id (1 … 2^31 − 1).")]
FieldKey = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$", description="A field key, e.g. `mobility`.",
                                examples=["mobility"])]
Region = Literal[REGIONS]  # type: ignore[valid-type]
# Bounds on the raw size of free text; the actions apply the real limits with the pages' messages.
Text = Annotated[str, Field(max_length=20_000)]


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


def _no_defaults(schema: dict[str, Any]) -> None:
    """An update's members have no default: left out means unchanged, not null."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class _Update(_Request):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_no_defaults)


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors ---------------------------------------------------------------------------------------
class ErrorBody(_Response):
    code: str = Field(description="Machine-readable: validation_error, not_found, rate_limited, …",
                      examples=["validation_error"])
    message: str = Field(description="For people, in the request's language (Japanese by default).")
    fields: dict[str, list[str]] | None = Field(default=None, description="Messages per request field.")


class Error(_Response):
    """Every 4xx and 5xx answer under /api."""

    error: ErrorBody


# -- shared parts ---------------------------------------------------------------------------------
class MunicipalityRef(_Response):
    id: int
    code: str = Field(description="The local government code (全国地方公共団体コード).")
    name: str
    name_en: str


class OrganizationRef(_Response):
    id: int
    name: str
    name_en: str


# -- issues (challenges) --------------------------------------------------------------------------
class ChallengeCreate(_Request):
    """A new municipal issue: what the issue form takes."""

    title: Text = Field(description="At most 120 characters, one line.")
    description: Text = Field(description="At most 4,000 characters.")
    field_keys: list[FieldKey] = Field(max_length=20, description="At least one field key.")
    target: Text = Field(default="", description="Target group or area; at most 200 characters.")
    budget_range: BudgetRange = BudgetRange.UNDECIDED
    desired_start: dt.date | None = None
    available_data: Text = ""
    status: Literal["open", "draft"] = "open"
    municipality_id: Id | None = Field(
        default=None, description="Admins choose the municipality; officers always post for their own.")


class ChallengeUpdate(_Update):
    """Changes to an issue's content; members left out keep their value. The status changes on the
    issue's page (close, reopen, publish), not here."""

    # Left out: unchanged. A default is not validated, so null is refused where a value is required.
    title: Text = Field(default=None)  # type: ignore[assignment]
    description: Text = Field(default=None)  # type: ignore[assignment]
    field_keys: list[FieldKey] = Field(default=None, max_length=20)  # type: ignore[arg-type]
    target: Text = Field(default=None)  # type: ignore[assignment]
    budget_range: BudgetRange = Field(default=None)  # type: ignore[assignment]
    desired_start: dt.date | None = Field(default=None, description="null clears the date.")
    available_data: Text = Field(default=None)  # type: ignore[assignment]


class Challenge(_Response):
    id: int
    title: str
    description: str
    target: str
    fields: list[str]
    budget_range: BudgetRange
    desired_start: dt.date | None
    available_data: str
    status: ChallengeStatus
    municipality: MunicipalityRef
    version: int = Field(description="Also in the ETag; send it back in If-Match to update.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ChallengeList(_Response):
    items: list[Challenge]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


# -- technologies ---------------------------------------------------------------------------------
class TechnologyCreate(_Request):
    """A new technology or solution: what the technology form takes."""

    title: Text = Field(description="At most 120 characters, one line.")
    description: Text = Field(description="At most 4,000 characters.")
    field_keys: list[FieldKey] = Field(max_length=20, description="At least one field key.")
    maturity: Maturity = Maturity.CONCEPT
    price_band: PriceBand = PriceBand.ON_REQUEST
    deployed_municipality_ids: list[Id] = Field(default_factory=list, max_length=100)
    organization_id: Id | None = Field(
        default=None, description="Admins choose the organization; members always register for their own.")


class TechnologyUpdate(_Update):
    """Changes to a technology's content; members left out keep their value."""

    title: Text = Field(default=None)  # type: ignore[assignment]
    description: Text = Field(default=None)  # type: ignore[assignment]
    field_keys: list[FieldKey] = Field(default=None, max_length=20)  # type: ignore[arg-type]
    maturity: Maturity = Field(default=None)  # type: ignore[assignment]
    price_band: PriceBand = Field(default=None)  # type: ignore[assignment]
    deployed_municipality_ids: list[Id] = Field(default=None, max_length=100)  # type: ignore[arg-type]


class Technology(_Response):
    id: int
    title: str
    description: str
    fields: list[str]
    maturity: Maturity
    price_band: PriceBand
    retired: bool
    organization: OrganizationRef
    deployed_in: list[MunicipalityRef]
    version: int = Field(description="Also in the ETag; send it back in If-Match to update.")
    created_at: dt.datetime
    updated_at: dt.datetime


class TechnologyList(_Response):
    items: list[Technology]
    next_cursor: str | None


# -- rankings -------------------------------------------------------------------------------------
class TermReason(_Response):
    kind: Literal["term"]
    challenge_word: str = Field(description="As the issue's author wrote it.")
    technology_word: str = Field(description="As the technology's author wrote it.")
    share: float = Field(description="Share of the score, 0 … 1.")
    compound: bool = Field(default=False, description="Matched as a whole noun compound.")


class WordingReason(_Response):
    kind: Literal["wording"]
    share: float


class FieldsReason(_Response):
    kind: Literal["fields"]
    fields: list[str]
    share: float


class TrackRecordReason(_Response):
    kind: Literal["track_record"]
    maturity: Maturity | None
    deployed_in: list[str]
    same_region: bool
    share: float


Reason = Annotated[TermReason | WordingReason | FieldsReason | TrackRecordReason, Field(discriminator="kind")]


class _Ranked(_Response):
    score: float
    strength: Literal["strong", "medium", "weak"] = Field(
        description="The match's strength within this list, as the pages show it.")
    reasons: list[Reason] = Field(description="Why: shared terms, similar wording, fields, track record.")


class RankedTechnology(_Ranked):
    technology: Technology


class RankedChallenge(_Ranked):
    challenge: Challenge


class TechnologyRanking(_Response):
    """The technologies ranked for an issue: those the caller may see, best first."""

    challenge_id: int
    ready: bool = Field(description="False while the matching engine is being prepared (no rankings yet): "
                                    "ask again shortly.")
    items: list[RankedTechnology]


class ChallengeRanking(_Response):
    """The open issues ranked for a technology: those the caller may see, best first."""

    technology_id: int
    ready: bool = Field(description="False while the matching engine is being prepared (no rankings yet): "
                                    "ask again shortly.")
    items: list[RankedChallenge]


# -- projects -------------------------------------------------------------------------------------
class StageChange(_Response):
    move: str
    from_stage: Stage | None
    to_stage: Stage
    at: dt.datetime
    actor: str | None = Field(description="Display name; null for system moves.")
    comment: str


class Kpi(_Response):
    name: str
    unit: str
    baseline: float
    target: float
    result: float | None


class Project(_Response):
    id: int
    title: str
    summary: str
    stage: Stage
    stage_changed_at: dt.datetime
    lead_organization: OrganizationRef
    organizations: list[OrganizationRef]
    municipalities: list[MunicipalityRef]
    challenge_ids: list[int]
    technology_ids: list[int]
    origin_project_id: int | None = Field(description="The project this one rolls out, when the caller may open it.")
    kpis: list[Kpi]
    history: list[StageChange] = Field(description="Every stage change, oldest first.")


class ProjectSummary(_Response):
    id: int
    title: str
    stage: Stage
    stage_changed_at: dt.datetime
    lead_organization: OrganizationRef
    municipalities: list[MunicipalityRef]


class ProjectList(_Response):
    items: list[ProjectSummary]
    next_cursor: str | None


# -- list filters (query strings) -----------------------------------------------------------------
class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, max_length=200, description="From `next_cursor` of the previous page.")
    limit: int = Field(default=20, ge=1, le=100)


class ChallengeQuery(_Query):
    status: Literal["open", "closed", "draft", "all"] = Field(
        default="open", description="As on the issue list: open unless asked.")
    field: FieldKey | None = None
    municipality: Id | None = None
    region: Region | None = Field(default=None, description="A region of the prefecture, as on the issue list.")
    q: str | None = Field(default=None, max_length=100, description="Text in the title, the description or the place.")


class TechnologyQuery(_Query):
    field: FieldKey | None = None
    maturity: Maturity | None = None
    municipality: Id | None = Field(default=None, description="Deployed in this municipality.")
    retired: bool = Field(default=False, description="Retired technologies instead of listed ones.")
    q: str | None = Field(default=None, max_length=100, description="Text in the title, description or company.")


class ProjectQuery(_Query):
    stage: Stage | None = None


REQUEST_MODELS: tuple[type[BaseModel], ...] = (ChallengeCreate, ChallengeUpdate, TechnologyCreate, TechnologyUpdate)


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
