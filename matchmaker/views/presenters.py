"""Turning engine results into what templates show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models import Organization, Technology

from ..matching import RankedTechnology


@dataclass(frozen=True)
class RankedCompany:
    organization: Organization
    best: RankedTechnology
    technology_count: int


def group_by_organization(ranked: Sequence[RankedTechnology], technologies: dict[int, Technology]) -> list[RankedCompany]:
    """A company ranks by its best technology for the issue (it needs one fitting solution)."""
    best: dict[int, RankedTechnology] = {}
    counts: dict[int, int] = {}
    for item in ranked:
        organization_id = technologies[item.technology_id].organization_id
        counts[organization_id] = counts.get(organization_id, 0) + 1
        if organization_id not in best:
            best[organization_id] = item
    return [RankedCompany(technologies[item.technology_id].organization, item, counts[oid])
            for oid, item in sorted(best.items(), key=lambda pair: -pair[1].score)]
