"""The engine inside the app: one per process, kept in step with the database.

Every catalogue change writes an audit row (see actions/). Before answering, `sync` replays the
rows newer than the last one this process applied, through the engine's incremental path, so
every worker process sees a change on its next request without refitting. Refits run only in
`matchmaker rescore` (a job), which also saves the state that new processes start from.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import (
    AuditEvent,
    Challenge,
    ChallengeStatus,
    MembershipStatus,
    Organization,
    Technology,
)
from scoring import ChallengeDoc, MatchEngine, TechnologyDoc
from scoring.explain import Explanation, explain
from scoring.pairs import PairScore, rank_pairs
from scoring.persist import IncompatibleState, load, save

log = logging.getLogger(__name__)

CATALOGUE_ENTITIES = ("challenge", "technology", "organization")


def challenge_doc(challenge: Challenge) -> ChallengeDoc:
    description = "\n".join(part for part in (challenge.description, challenge.target) if part)
    return ChallengeDoc(
        id=str(challenge.id), title=challenge.title, description=description,
        fields=tuple(f.key for f in challenge.fields), municipality=str(challenge.municipality_id),
        region=challenge.municipality.region,
    )


def technology_doc(technology: Technology) -> TechnologyDoc:
    return TechnologyDoc(
        id=str(technology.id), title=technology.title, description=technology.description,
        fields=tuple(f.key for f in technology.fields), company=str(technology.organization_id),
        maturity=technology.maturity.value, deployed_in=tuple(m.name for m in technology.deployed_in),
        deployed_regions=tuple(m.region for m in technology.deployed_in),
    )


def matchable_challenges(session: Session, ids: list[int] | None = None) -> list[Challenge]:
    query = (select(Challenge).where(Challenge.status == ChallengeStatus.OPEN)
             .options(selectinload(Challenge.fields), selectinload(Challenge.municipality)))
    if ids is not None:
        query = query.where(Challenge.id.in_(ids))
    return list(session.scalars(query.order_by(Challenge.id)))


def matchable_technologies(session: Session, ids: list[int] | None = None) -> list[Technology]:
    query = (select(Technology).join(Organization)
             .where(Technology.is_retired.is_(False), Organization.membership_status == MembershipStatus.APPROVED)
             .options(selectinload(Technology.fields), selectinload(Technology.deployed_in)))
    if ids is not None:
        query = query.where(Technology.id.in_(ids))
    return list(session.scalars(query.order_by(Technology.id)))


@dataclass(frozen=True)
class RankedTechnology:
    technology_id: int
    score: float
    explanation: Explanation


@dataclass(frozen=True)
class RankedChallenge:
    challenge_id: int
    score: float
    explanation: Explanation


class MatchService:
    """A process's engine, guarded by a lock (the dev server and some workers are threaded)."""

    def __init__(self, state_path: Path, top_k: int) -> None:
        self.state_path = state_path
        self.top_k = top_k
        self._lock = threading.RLock()
        self._engine: MatchEngine | None = None
        self._last_event_id = 0

    # -- lifecycle ----------------------------------------------------------------------
    def rebuild(self, session: Session) -> MatchEngine:
        """Fit from scratch on the database (the rescore job) and save the state."""
        with self._lock:
            last_event = session.scalar(select(func.max(AuditEvent.id))) or 0
            engine = MatchEngine(top_k=self.top_k)
            if self._engine is not None:
                engine.token_cache_ = self._engine.token_cache_  # refits never re-tokenise
            engine.fit([challenge_doc(c) for c in matchable_challenges(session)],
                       [technology_doc(t) for t in matchable_technologies(session)])
            self._engine, self._last_event_id = engine, last_event
            self.save()
            return engine

    def save(self) -> None:
        with self._lock:
            if self._engine is None:
                return
            save(self._engine, self.state_path)
            (self.state_path / "app.json").write_text(json.dumps({"last_event_id": self._last_event_id}))

    def has_saved_state(self) -> bool:
        return (self.state_path / "state.json").exists()

    def _ensure_loaded(self, session: Session) -> MatchEngine:
        if self._engine is not None:
            return self._engine
        try:
            self._engine = load(self.state_path)
            marker = json.loads((self.state_path / "app.json").read_text())
            self._last_event_id = int(marker["last_event_id"])
        except (FileNotFoundError, IncompatibleState, KeyError, ValueError):
            log.warning("no usable engine state at %s; fitting from the database (run `matchmaker rescore`)",
                        self.state_path)
            return self.rebuild(session)
        return self._engine

    def sync(self, session: Session) -> MatchEngine:
        """Apply catalogue changes recorded since this process last looked."""
        with self._lock:
            engine = self._ensure_loaded(session)
            events = session.execute(
                select(AuditEvent.id, AuditEvent.entity_type, AuditEvent.entity_id)
                .where(AuditEvent.id > self._last_event_id, AuditEvent.entity_type.in_(CATALOGUE_ENTITIES))
                .order_by(AuditEvent.id)
            ).all()
            if not events:
                self._last_event_id = max(self._last_event_id, session.scalar(select(func.max(AuditEvent.id))) or 0)
                return engine
            challenge_ids = {e.entity_id for e in events if e.entity_type == "challenge"}
            technology_ids = {e.entity_id for e in events if e.entity_type == "technology"}
            organization_ids = {e.entity_id for e in events if e.entity_type == "organization"}
            if organization_ids:
                technology_ids |= set(session.scalars(
                    select(Technology.id).where(Technology.organization_id.in_(organization_ids))))
            live_challenges = {c.id: c for c in matchable_challenges(session, sorted(challenge_ids))}
            for challenge_id in sorted(challenge_ids):
                if challenge_id in live_challenges:
                    engine.upsert_challenge(challenge_doc(live_challenges[challenge_id]))
                else:
                    engine.remove_challenge(str(challenge_id))
            live_technologies = {t.id: t for t in matchable_technologies(session, sorted(technology_ids))}
            for technology_id in sorted(technology_ids):
                if technology_id in live_technologies:
                    engine.upsert_technology(technology_doc(live_technologies[technology_id]))
                else:
                    engine.remove_technology(str(technology_id))
            self._last_event_id = events[-1].id
            return engine

    # -- queries (call sync first) --------------------------------------------------------
    def technologies_for(self, session: Session, challenge_id: int, k: int | None = None) -> list[RankedTechnology]:
        return self.technologies_for_many(session, [challenge_id], k)[challenge_id]

    def technologies_for_many(self, session: Session, challenge_ids: list[int],
                              k: int | None = None) -> dict[int, list[RankedTechnology]]:
        """One sync for many challenges (a page listing several issues)."""
        with self._lock:
            engine = self.sync(session)
            ranked: dict[int, list[RankedTechnology]] = {}
            for challenge_id in challenge_ids:
                key = str(challenge_id)
                ranked[challenge_id] = [] if key not in engine.challenges_.position else [
                    RankedTechnology(int(m.id), m.score, explain(engine, key, m.id))
                    for m in engine.technologies_for(key, k)]
            return ranked

    def challenges_for(self, session: Session, technology_id: int, k: int | None = None) -> list[RankedChallenge]:
        with self._lock:
            engine = self.sync(session)
            key = str(technology_id)
            if key not in engine.technologies_.position:
                return []
            return [RankedChallenge(int(m.id), m.score, explain(engine, m.id, key))
                    for m in engine.challenges_for(key, k)]

    def pairs(self, session: Session, *, organization_id: int | None = None,
              municipality_id: int | None = None, top: int | None = None) -> list[PairScore]:
        with self._lock:
            engine = self.sync(session)
            return rank_pairs(
                engine, company=str(organization_id) if organization_id is not None else None,
                municipality=str(municipality_id) if municipality_id is not None else None, top=top,
            )

    def explain_pair(self, session: Session, challenge_id: int, technology_id: int) -> Explanation | None:
        with self._lock:
            engine = self.sync(session)
            try:
                return explain(engine, str(challenge_id), str(technology_id))
            except KeyError:
                return None


def init_app(app: Flask) -> None:
    app.extensions["match_service"] = MatchService(Path(app.config["ENGINE_STATE_PATH"]), app.config["MATCH_TOP_K"])


def match_service() -> MatchService:
    return current_app.extensions["match_service"]
