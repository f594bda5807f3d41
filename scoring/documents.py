"""The plain documents the engine takes in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChallengeDoc:
    """A local issue: what a municipality needs."""

    id: str
    title: str
    description: str = ""
    fields: tuple[str, ...] = ()
    municipality: str | None = None
    region: str | None = None
    lang: str | None = None

    @property
    def text_key(self) -> tuple[str, str]:
        return self.title, self.description


@dataclass(frozen=True)
class TechnologyDoc:
    """A technology or solution a company offers."""

    id: str
    title: str
    description: str = ""
    fields: tuple[str, ...] = ()
    company: str | None = None
    maturity: str | None = None  # "concept" | "piloted" | "in_service"
    deployed_in: tuple[str, ...] = ()  # municipalities where it is in service
    deployed_regions: tuple[str, ...] = ()  # their regions
    lang: str | None = None

    @property
    def text_key(self) -> tuple[str, str]:
        return self.title, self.description
