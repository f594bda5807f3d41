"""The engine inside the app: one per process, kept in step with the database's change feed.

Every committed change to a challenge, technology or organisation gets a position in the change
feed (models/feed.py), in commit order. Before answering, `sync` applies the positions after the
last one this process applied, through the engine's incremental path, so every worker sees a
change on its next request without refitting; when nothing changed it costs one primary-key read.

The engine state is tied to the database it was fitted on: the saved state records the
database's identity, the feed position it covers and the random transaction token of that
position. A state from another database, from a timeline that a restore has replaced, or ahead of
the database is never used (it would rank deleted records and skip new changes); the worker then
answers without rankings and asks the job worker for a refit, which never runs in a request.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import (
    Challenge,
    ChallengeStatus,
    FeedEntry,
    FeedHead,
    MembershipStatus,
    Organization,
    Technology,
)
from scoring import ChallengeDoc, MatchEngine, TechnologyDoc
from scoring.explain import Explanation, explain
from scoring.pairs import PairScore, rank_pairs
from scoring.persist import IncompatibleState, load, save
from scoring.text import TextAnalyzer

from .vocabulary import Analyzers, current_key

log = logging.getLogger(__name__)

MARKER = "app.json"
REFIT_REQUEST_INTERVAL_S = 30.0


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
             .where(Technology.is_retired.is_(False), Technology.offered.is_(True),
                    Organization.membership_status == MembershipStatus.APPROVED)
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


@dataclass(frozen=True)
class FeedMark:
    """Where in which database's feed an engine state stands."""

    database_id: str
    position: int
    txn: str  # the token of the row at `position` ("" at position 0)


def feed_mark(session: Session) -> FeedMark:
    head = session.execute(select(FeedHead.database_id, FeedHead.position)).one()
    txn = session.scalar(select(FeedEntry.txn).where(FeedEntry.position == head.position)) or ""
    return FeedMark(head.database_id, head.position, txn)


def mark_is_valid(session: Session, mark: FeedMark) -> bool:
    """True when the database contains exactly the history this mark has seen (and maybe more)."""
    head = session.execute(select(FeedHead.database_id, FeedHead.position)).one()
    if head.database_id != mark.database_id or head.position < mark.position:
        return False
    if mark.position == 0:
        return True
    return session.scalar(select(FeedEntry.txn).where(FeedEntry.position == mark.position)) == mark.txn


class _ReadWriteLock:
    """Many ranking reads at once; applying changes waits for them and excludes them."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._condition:
            while self._writer:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._condition:
            while self._writer or self._readers:
                self._condition.wait()
            self._writer = True
        try:
            yield
        finally:
            with self._condition:
                self._writer = False
                self._condition.notify_all()


class MatchService:
    """A process's engine. Without a usable state it ranks nothing and asks for a refit."""

    def __init__(self, state_path: Path, top_k: int, request_refit: Callable[[], None] | None = None,
                 request_snapshot: Callable[[], None] | None = None, snapshot_after: int = 50) -> None:
        self.state_path = state_path
        self.top_k = top_k
        self.request_refit = request_refit or (lambda: None)
        self.request_snapshot = request_snapshot or (lambda: None)
        self.snapshot_after = snapshot_after
        self._deferred: list[Callable[[], None]] = []  # job requests made while warming (warm)
        self._warmed_in: int | None = None  # the process that warmed this service, until its first sync
        self._lock = _ReadWriteLock()
        self._apply_lock = threading.RLock()  # one thread loads, replays or swaps at a time
        self._engine: MatchEngine | None = None
        self._mark: FeedMark | None = None
        self._refit_requested_at = 0.0
        self._refit_requested_for: MatchEngine | None = None
        # The synonym table (built-in plus coordinators' pairs) is written beside the state.
        self._analyzers = Analyzers(state_path.with_name(state_path.name + "-vocabulary"))
        self._vocabulary: str | None = None  # the key of the vocabulary self._engine was fitted on
        # Set when the feed says the vocabulary changed: until a state fitted on it exists (the
        # refit job's), this process keeps ranking with its engine and looks for that state.
        self._vocabulary_changed = False

    # -- lifecycle ----------------------------------------------------------------------
    def rebuild(self, session: Session) -> MatchEngine | None:
        """Fit from scratch on the database and save the state (the refit job, `rescore`, `restore`).

        None while either side of the catalogue is empty: there is nothing to rank yet.
        """
        # The mark is read before the corpus: changes committed in between are replayed again on
        # top of the fit, which is harmless (replay upserts each record's current row).
        mark = feed_mark(session)
        challenges = [challenge_doc(c) for c in matchable_challenges(session)]
        technologies = [technology_doc(t) for t in matchable_technologies(session)]
        if not challenges or not technologies:
            log.info("no open issue or no technology yet: nothing to fit")
            return None
        analyzer, vocabulary = self._analyzers.current(session)
        engine = MatchEngine(analyzer, top_k=self.top_k)
        if self._engine is not None and self._vocabulary == vocabulary:
            # Refits never re-tokenise, unless the vocabulary changed: then every text is analysed again.
            engine.token_cache_ = self._engine.token_cache_
        engine.fit(challenges, technologies)
        self._save(engine, mark, vocabulary)
        with self._apply_lock, self._lock.writing():
            self._engine, self._mark, self._vocabulary = engine, mark, vocabulary
        return engine

    def analyzer(self, session: Session) -> TextAnalyzer:
        """The analyser with the current vocabulary (built-in synonyms plus coordinators' pairs), for search."""
        return self._analyzers.current(session)[0]

    def _save(self, engine: MatchEngine, mark: FeedMark, vocabulary: str | None) -> None:
        # Engine first, marker second; loaders read the marker first. A loader can thus pair an
        # older marker with a newer engine (it replays a few changes twice: harmless), never the
        # reverse (skipping changes).
        save(engine, self.state_path)
        staging = self._marker_path.with_suffix(".tmp")
        staging.write_text(json.dumps({"database_id": mark.database_id, "position": mark.position, "txn": mark.txn,
                                       "vocabulary": vocabulary}))
        staging.replace(self._marker_path)

    @property
    def _marker_path(self) -> Path:
        # Beside the state directory, not inside it: `save` swaps the directory as a whole.
        return self.state_path.with_name(self.state_path.name + "-" + MARKER)

    def has_saved_state(self) -> bool:
        return (self.state_path / "state.json").exists() and self._marker_path.exists()

    def saved_state_is_valid(self, session: Session) -> bool:
        mark = self._read_marker()
        return mark is not None and (self.state_path / "state.json").exists() and mark_is_valid(session, mark)

    def _read_marker(self) -> FeedMark | None:
        try:
            data = json.loads(self._marker_path.read_text())
            return FeedMark(str(data["database_id"]), int(data["position"]), str(data["txn"]))
        except (FileNotFoundError, KeyError, ValueError, TypeError):
            return None

    def _load_saved(self, session: Session) -> bool:
        """Load the saved state if it belongs to this database's history. Called under _apply_lock."""
        mark = self._read_marker()
        if mark is None or not mark_is_valid(session, mark):
            return False
        analyzer, vocabulary = self._analyzers.current(session)
        try:
            engine = load(self.state_path, analyzer)
        except (FileNotFoundError, IncompatibleState, KeyError, ValueError) as error:
            log.warning("engine state at %s is unusable (%s)", self.state_path, error)
            return False
        saved_vocabulary = self._read_vocabulary()
        with self._lock.writing():
            self._engine, self._mark, self._vocabulary = engine, mark, saved_vocabulary
        if saved_vocabulary != vocabulary:
            # Fitted on an older vocabulary (or older word lists, after a release): it ranks with
            # the old terms until a refit replaces it, and this process switches to that state as
            # soon as one is saved, wherever the refit ran.
            self._vocabulary_changed = True
            self._ask_for_refit(engine)
        return True

    def _read_vocabulary(self) -> str | None:
        try:
            value = json.loads(self._marker_path.read_text()).get("vocabulary")
        except (FileNotFoundError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def _drop(self) -> None:
        with self._lock.writing():
            self._engine, self._mark = None, None

    @property
    def ready(self) -> bool:
        return self._engine is not None

    def sync(self, session: Session) -> MatchEngine | None:
        """Bring this process's engine up to the database's feed head; None when there is no usable state."""
        if self._warmed_in is not None:
            self._first_sync_after_warming(session)
        head = session.execute(select(FeedHead.database_id, FeedHead.position)).one()
        mark = self._mark
        if mark is not None and mark.database_id == head.database_id and mark.position == head.position \
                and not self._vocabulary_changed:
            return self._engine
        with self._apply_lock:
            mark = self._mark
            if mark is not None and (mark.database_id != head.database_id or mark.position > head.position):
                log.warning("the database no longer matches this engine (restored or replaced); dropping it")
                self._drop()
            if self._engine is None and not self._load_saved(session):
                self._ask_for_refit()
                if self._engine is None:  # an inline refit (tests) has fitted it by now
                    return None
            self._replay(session)
            if self._vocabulary_changed:
                self._adopt_new_vocabulary(session)
            return self._engine

    def _first_sync_after_warming(self, session: Session) -> None:
        """Ask for what warming deferred, once per process. A process forked from the warmed master
        (gunicorn --preload) may start long after it: when a newer state has been saved since (a
        snapshot, a refit), it maps that state instead of replaying everything since the master's
        start, and the master's requests are stale (loading asks for a refit itself if still needed)."""
        with self._apply_lock:  # one thread of the process does this; the others wait for it
            if self._warmed_in is None:
                return
            forked = self._warmed_in != os.getpid()
            self._warmed_in = None
            deferred, self._deferred = self._deferred, []
            if forked and self._mark is not None:
                saved = self._read_marker()
                if saved is not None and saved.database_id == self._mark.database_id and (
                        saved.position > self._mark.position or self._read_vocabulary() != self._vocabulary):
                    self._drop()  # sync goes on to load the saved state and replay from there
                    return
        for request in deferred:
            request()

    def _adopt_new_vocabulary(self, session: Session) -> None:
        """Switch to the state fitted on the current vocabulary once one exists. Called under _apply_lock."""
        vocabulary = current_key(session, self._analyzers.directory)
        if self._vocabulary == vocabulary:  # this process ran the refit itself
            self._vocabulary_changed = False
        elif self._read_vocabulary() == vocabulary and self._load_saved(session):
            # The refit job (another process) saved a state fitted on it; a failed load keeps the old engine.
            self._vocabulary_changed = False
            self._replay(session)

    def snapshot(self, session: Session, min_changes: int) -> bool:
        """Save this process's engine, brought up to the feed head, when the saved state lags by min_changes.

        A new worker then loads a state that needs little replay, however many edits happened since
        the last refit (the snapshot job, also queued by a worker that has just caught up on many).
        """
        if self.sync(session) is None:
            return False
        # One process saves at a time; the others skip (the saved state will cover their changes, or
        # their next snapshot does). Every gunicorn worker forked from a warmed master asks for a
        # snapshot on its first sync, and at national scale each save costs seconds of CPU and
        # hundreds of MB while it runs.
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.state_path.with_name(self.state_path.name + "-snapshot.lock"), "a+b") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            with self._apply_lock:  # engine and mark must not move while they are written
                engine, mark, saved = self._engine, self._mark, self._read_marker()
                vocabulary = self._vocabulary
                if engine is None or mark is None:
                    return False
                if saved is not None and saved.database_id == mark.database_id and \
                        0 <= mark.position - saved.position < min_changes:
                    return False
                self._save(engine, mark, vocabulary)
                return True

    def _ask_for_refit(self, engine: MatchEngine | None = None) -> None:
        """Ask the job worker for a refit: at most every 30 s without a state, once per engine that grew."""
        now = time.monotonic()
        if engine is not None:
            if self._refit_requested_for is engine:
                return
            self._refit_requested_for = engine
        elif now - self._refit_requested_at < REFIT_REQUEST_INTERVAL_S:
            return
        self._refit_requested_at = now
        self.request_refit()

    def _replay(self, session: Session) -> None:
        """Apply feed positions after the engine's mark. Called under _apply_lock."""
        engine, mark = self._engine, self._mark
        assert engine is not None and mark is not None
        rows = session.execute(
            select(FeedEntry.position, FeedEntry.entity_type, FeedEntry.entity_id, FeedEntry.txn)
            .where(FeedEntry.position >= mark.position).order_by(FeedEntry.position)).all()
        if mark.position > 0 and (not rows or rows[0].position != mark.position or rows[0].txn != mark.txn):
            log.warning("the feed position this engine stands on was replaced (restore); dropping it")
            self._drop()
            if self._load_saved(session):
                self._replay(session)
            else:
                self._ask_for_refit()
            return
        events = [r for r in rows if r.position > mark.position]
        if not events:
            return
        challenge_ids = {e.entity_id for e in events if e.entity_type == "challenge"}
        technology_ids = {e.entity_id for e in events if e.entity_type == "technology"}
        organization_ids = {e.entity_id for e in events if e.entity_type == "organization"}
        if any(e.entity_type == "vocabulary" for e in events):
            self._vocabulary_changed = True
        if organization_ids:
            technology_ids |= set(session.scalars(
                select(Technology.id).where(Technology.organization_id.in_(organization_ids))))
        challenges = {str(c.id): challenge_doc(c) for c in matchable_challenges(session, sorted(challenge_ids))}
        technologies = {str(t.id): technology_doc(t) for t in matchable_technologies(session, sorted(technology_ids))}
        challenge_changes = _changes(engine.challenges_.position, engine.challenge, challenges, challenge_ids)
        technology_changes = _changes(engine.technologies_.position, engine.technology, technologies, technology_ids)
        with self._lock.writing():
            # All positions at once (one analysis of the changed texts, one restack, the affected
            # lists in a few products): a new worker catches up on 1,000 edits in about a second.
            engine.apply_changes(challenges=challenge_changes[0], removed_challenges=challenge_changes[1],
                                 technologies=technology_changes[0], removed_technologies=technology_changes[1])
            self._mark = FeedMark(mark.database_id, events[-1].position, events[-1].txn)
        if engine.needs_refit():
            self._ask_for_refit(engine)
        elif len(events) >= self.snapshot_after:
            # Workers that start later map a state saved with these changes instead of replaying them
            # too: the snapshot job saves it (under the state's lock) if nobody has done so yet.
            self.request_snapshot()

    # -- queries (each syncs first; an engine that is not ready ranks nothing) ----------------
    def technologies_for(self, session: Session, challenge_id: int, k: int | None = None) -> list[RankedTechnology]:
        return self.technologies_for_many(session, [challenge_id], k)[challenge_id]

    def technologies_for_many(self, session: Session, challenge_ids: list[int],
                              k: int | None = None) -> dict[int, list[RankedTechnology]]:
        """One sync for many challenges (a page listing several issues)."""
        ranked: dict[int, list[RankedTechnology]] = {challenge_id: [] for challenge_id in challenge_ids}
        engine = self.sync(session)
        if engine is None:
            return ranked
        with self._lock.reading():
            for challenge_id in challenge_ids:
                key = str(challenge_id)
                if key in engine.challenges_.position:
                    ranked[challenge_id] = [RankedTechnology(int(m.id), m.score, explain(engine, key, m.id))
                                            for m in engine.technologies_for(key, k)]
        return ranked

    def best_of_lists(self, session: Session, challenge_ids: list[int], per_list: int, limit: int,
                      exclude: Callable[[list[tuple[int, int]]], set[tuple[int, int]]]) -> list[tuple[int, RankedTechnology]]:
        """The best `limit` (challenge, technology) pairs among the first `per_list` of each
        challenge's list, best first, skipping the pairs `exclude` returns for a batch of candidate
        pairs; only the pairs returned are explained (a coordinator's page of many lists)."""
        engine = self.sync(session)
        if engine is None:
            return []
        with self._lock.reading():
            candidates = ((challenge_ids[i], match) for i, match in
                          engine.iter_best_of_lists([str(c) for c in challenge_ids], per_list))
            chosen: list[tuple[int, RankedTechnology]] = []
            batch = max(limit * 2, 20)
            while chunk := list(itertools.islice(candidates, batch)):
                skipped = exclude([(c, int(m.id)) for c, m in chunk])
                for challenge_id, match in chunk:
                    if (challenge_id, int(match.id)) in skipped:
                        continue
                    chosen.append((challenge_id, RankedTechnology(
                        int(match.id), match.score, explain(engine, str(challenge_id), match.id))))
                    if len(chosen) == limit:
                        return chosen
            return chosen

    def challenges_for(self, session: Session, technology_id: int, k: int | None = None) -> list[RankedChallenge]:
        engine = self.sync(session)
        if engine is None:
            return []
        with self._lock.reading():
            key = str(technology_id)
            if key not in engine.technologies_.position:
                return []
            return [RankedChallenge(int(m.id), m.score, explain(engine, m.id, key))
                    for m in engine.challenges_for(key, k)]

    def pairs(self, session: Session, *, organization_id: int | None = None,
              municipality_id: int | None = None, top: int | None = None) -> list[PairScore]:
        engine = self.sync(session)
        if engine is None:
            return []
        with self._lock.reading():
            return rank_pairs(
                engine, company=str(organization_id) if organization_id is not None else None,
                municipality=str(municipality_id) if municipality_id is not None else None, top=top,
            )

    def explain_pair(self, session: Session, challenge_id: int, technology_id: int) -> Explanation | None:
        engine = self.sync(session)
        if engine is None:
            return None
        with self._lock.reading():
            try:
                return explain(engine, str(challenge_id), str(technology_id))
            except KeyError:
                return None


def _changes(positions: dict[str, int], current: Callable[[str], Any], docs: dict[str, Any],
             ids: set[int]) -> tuple[list[Any], list[str]]:
    """(documents to upsert, ids to remove) for changed records: a gone one is removed, one the
    engine already holds unchanged is skipped."""
    upserts, removals = [], []
    for key in sorted(map(str, ids)):
        doc = docs.get(key)
        if doc is None:
            if key in positions:
                removals.append(key)
        elif key not in positions or current(key) != doc:
            upserts.append(doc)
    return upserts, removals


def reading_session(app: Flask) -> Session:
    """Refits and snapshots only read: on SQLite they must not hold the write lock for a whole fit."""
    return app.extensions["sqlalchemy_sessionmaker"]()


def warm(app: Flask) -> None:
    """Load the engine state and catch up on the feed now, at process start rather than in the
    first request. Under `gunicorn --preload` the master does it once and every worker it forks
    shares the result (copy-on-write): the documents and vocabularies, which each worker would
    otherwise build for itself, and no worker pays for loading. Jobs are not asked for here (a
    forked worker would not inherit the job thread): what warming wanted to ask for (a refit, a
    snapshot) each process asks for on its first sync."""
    service: MatchService = app.extensions["match_service"]
    request_refit, request_snapshot = service.request_refit, service.request_snapshot
    service.request_refit = lambda: service._deferred.append(request_refit)
    service.request_snapshot = lambda: service._deferred.append(request_snapshot)
    try:
        with app.app_context(), reading_session(app) as session:
            service.sync(session)
    except Exception:  # never a reason not to start: the first request tries again
        log.exception("could not load the engine at start; the first request will")
    finally:
        service._warmed_in = os.getpid()
        service.request_refit, service.request_snapshot = request_refit, request_snapshot
        service._refit_requested_at = 0.0
        service._refit_requested_for = None
        # No connection may cross a fork: each worker opens its own.
        app.extensions["sqlalchemy_engine"].dispose()


def init_app(app: Flask) -> None:
    from . import jobs

    app.extensions["match_service"] = MatchService(
        Path(app.config["ENGINE_STATE_PATH"]), app.config["MATCH_TOP_K"],
        request_refit=lambda: jobs.enqueue(app, "refit"), request_snapshot=lambda: jobs.enqueue(app, "snapshot"),
        snapshot_after=int(app.config["SNAPSHOT_MIN_CHANGES"]))
    # Pages say "being prepared" rather than "nothing matches" while a refit job builds the state.
    app.context_processor(lambda: {"rankings_pending": lambda: not app.extensions["match_service"].ready})


def match_service() -> MatchService:
    return current_app.extensions["match_service"]
