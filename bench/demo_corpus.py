"""The demo data as plain scoring documents, plus the labelled development set."""

from __future__ import annotations

import csv
from pathlib import Path

from scoring import ChallengeDoc, TechnologyDoc
from seed import DATA_DIR, demo_challenges, demo_organizations

LABELS = Path(__file__).resolve().parent / "quality" / "labels.tsv"


def _regions() -> dict[str, str]:
    with (DATA_DIR / "municipalities.csv").open(encoding="utf-8") as handle:
        return {row["name"]: row["region"] for row in csv.DictReader(handle)}


def technologies() -> list[TechnologyDoc]:
    regions = _regions()
    return [
        TechnologyDoc(
            id=t["key"], title=t["title"], description=t["description"], fields=tuple(t["fields"]),
            company=org["name"], maturity=t["maturity"], deployed_in=tuple(t.get("deployed_in", [])),
            deployed_regions=tuple(regions[m] for m in t.get("deployed_in", [])),
        )
        for org in demo_organizations()
        for t in org.get("technology", [])
    ]


def challenges() -> list[ChallengeDoc]:
    regions = _regions()
    return [
        ChallengeDoc(
            id=c["key"], title=c["title"], description=c["description"], fields=tuple(c["fields"]),
            municipality=c["municipality"], region=regions[c["municipality"]],
            lang="en" if c["title"].isascii() else "ja",
        )
        for c in demo_challenges()
    ]


def labels() -> dict[str, list[str]]:
    result = {}
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            challenge, relevant = line.split("\t")
            result[challenge] = relevant.split(",")
    return result
