"""Slow work as jobs that take ids: mail delivery, refits, digests. Never inside a request.

Every job is idempotent and reads what it needs from the database, so a lost or repeated job
costs nothing but time: the database, not the queue, holds what must happen (the outbox rows,
the change feed). Three backends, chosen by MATCHMAKER_JOBS:

- `thread` (default, the embedded setup of `make run`): a worker thread in the app's process,
  started on the first request or job. It also runs the periodic jobs every JOBS_SWEEP_SECONDS
  (the mail sweep, and an engine snapshot once SNAPSHOT_MIN_CHANGES changes have accumulated). Several processes may each run one: every job claims its rows atomically.
- `rq` (production, `make serve`): jobs go to Redis at MATCHMAKER_REDIS_URL and run in `rq worker`
  processes; `rq cron matchmaker/cron.py` enqueues the periodic jobs.
- `inline`: the caller runs the job at once. Tests only: it would put slow work in the request.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)

BACKENDS = ("thread", "rq", "inline")
QUEUE_NAME = "matchmaker"


# -- the jobs ---------------------------------------------------------------------------------
def refit(app: Flask) -> None:
    """Fit the engine on the database, save its state, and use it in this process."""
    from .matching import match_service, reading_session

    with app.app_context(), reading_session(app) as session:
        match_service().rebuild(session)


def deliver_mail(app: Flask, ids: list[int] | None = None) -> None:
    """Send the given outbox rows (or every due one) that nobody else has claimed."""
    from . import mail

    mail.deliver(app, ids)


def sweep(app: Flask) -> None:
    """The periodic job: mail that is due (retries, rows whose wake-up was lost)."""
    from . import mail

    mail.deliver(app, None)


def snapshot(app: Flask) -> None:
    """Save the engine with the changes applied since the last saved state, if there are enough of them."""
    from .matching import match_service, reading_session

    with app.app_context(), reading_session(app) as session:
        match_service().snapshot(session, int(app.config["SNAPSHOT_MIN_CHANGES"]))


def event_reminders(app: Flask) -> None:
    """Queue the day-before reminders that are due (each once; the mail goes out after commit)."""
    from .actions.events import queue_reminders
    from .db import session_scope

    with session_scope(app) as session:
        queued = queue_reminders(session)
    if queued:
        log.info("queued %d event reminder(s)", queued)


def alerts(app: Flask, ids: list[int] | None = None) -> None:
    """Tell the right people about newly published issues and registered technologies."""
    from . import alerts as alerts_

    alerts_.run(app, ids)


def notices(app: Flask) -> None:
    """The periodic notices: alerts whose wake-up was lost or that waited for the engine, the
    digests whose time has come (once per period), and issue freshness (reminders, closing)."""
    from . import alerts as alerts_
    from . import digests, freshness

    alerts_.run(app, None)
    digests.run_due_digests(app)
    freshness.run(app)


def password_reset(app: Flask, email: str) -> None:
    """Queue a reset mail if the address belongs to an active account (the page never knows)."""
    from .actions import people
    from .db import session_scope

    with session_scope(app) as session:
        people.request_reset(session, email, hours=int(app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]) // 3600)


JOBS: dict[str, Callable[..., None]] = {"refit": refit, "deliver_mail": deliver_mail, "sweep": sweep,
                                        "snapshot": snapshot, "alerts": alerts, "notices": notices,
                                        "event_reminders": event_reminders, "password_reset": password_reset}
# What the embedded worker runs every JOBS_SWEEP_SECONDS (reminders cost one indexed query when none is due).
PERIODIC = ("sweep", "snapshot", "notices", "event_reminders")


# -- enqueueing -------------------------------------------------------------------------------
def enqueue(app: Flask, name: str, *args: Any) -> None:
    """Hand a job to the configured backend. Never raises into the caller's request."""
    if name not in JOBS:
        raise KeyError(name)
    backend = app.config["JOBS"]
    try:
        if backend == "inline":
            JOBS[name](app, *args)
        elif backend == "rq":
            queue_ = _rq_queue(app)
            # A job without ids (refit, sweep, snapshot) is queued once until a worker starts it: four
            # web workers asking for a refit must not line up four refits.
            if args or queue_.connection.set(_queued_key(name), "1", nx=True, ex=app.config["JOBS_TIMEOUT_SECONDS"]):
                queue_.enqueue(run, name, *args, job_timeout=app.config["JOBS_TIMEOUT_SECONDS"])
        else:
            worker_thread(app).put(name, args)
    except Exception:
        log.exception("could not enqueue job %s", name)


def _rq_queue(app: Flask):  # type: ignore[no-untyped-def]
    from redis import Redis
    from rq import Queue

    queue_ = app.extensions.get("rq_queue")
    if queue_ is None:
        # Short timeouts: a Redis that does not answer must not hold a request (the sweep catches up).
        queue_ = Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2,
                                                             socket_timeout=2))
        app.extensions["rq_queue"] = queue_
    return queue_


_worker_app: Flask | None = None


def run(name: str, *args: Any) -> None:
    """The entry point RQ workers call: one app per worker process, configured from the environment."""
    global _worker_app
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app()
    if not args:
        _rq_queue(_worker_app).connection.delete(_queued_key(name))  # later requests queue a fresh run
    JOBS[name](_worker_app, *args)


def _queued_key(name: str) -> str:
    return f"matchmaker:queued:{name}"


# Periodic jobs for `rq cron` (see matchmaker/cron.py).
def periodic_sweep() -> None:
    run("sweep")


def periodic_refit() -> None:
    run("refit")


def periodic_snapshot() -> None:
    run("snapshot")


def periodic_notices() -> None:
    run("notices")


def periodic_event_reminders() -> None:
    run("event_reminders")


# -- the embedded worker thread ---------------------------------------------------------------
class WorkerThread:
    """One daemon thread per process; duplicate wake-ups for the same job collapse into one."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: queue.Queue[tuple[str, tuple[Any, ...]] | None] = queue.Queue()
        self._pending: set[tuple[str, tuple[Any, ...]]] = set()
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="matchmaker-jobs", daemon=True)
        self._stopping = False
        self._thread.start()

    def put(self, name: str, args: tuple[Any, ...]) -> None:
        key = (name, tuple(tuple(a) if isinstance(a, list) else a for a in args))
        with self._guard:
            if key in self._pending:
                return
            self._pending.add(key)
        self._queue.put((name, args))

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        self._queue.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        interval = float(self.app.config["JOBS_SWEEP_SECONDS"])
        while not self._stopping:
            try:
                item = self._queue.get(timeout=interval)
            except queue.Empty:
                for periodic in PERIODIC:
                    self.put(periodic, ())
                continue
            if item is None:
                return
            name, args = item
            with self._guard:
                self._pending.discard((name, tuple(tuple(a) if isinstance(a, list) else a for a in args)))
            try:
                JOBS[name](self.app, *args)
            except Exception:
                log.exception("job %s failed", name)


_thread_guard = threading.Lock()


def worker_thread(app: Flask) -> WorkerThread:
    with _thread_guard:
        worker = app.extensions.get("job_thread")
        if worker is None:
            worker = app.extensions["job_thread"] = WorkerThread(app)
        return worker


def init_app(app: Flask) -> None:
    if app.config["JOBS"] not in BACKENDS:
        raise ValueError(f"MATCHMAKER_JOBS must be one of {', '.join(BACKENDS)}")
    if app.config["JOBS"] == "thread":
        @app.before_request
        def _start_worker() -> None:
            if "job_thread" not in app.extensions:
                worker_thread(app)
