"""Jobs on a real queue (RQ on a throwaway Redis) and in the embedded worker thread."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import select

from matchmaker import create_app, jobs
from models import Challenge, OutboxEmail, Stage
from tests.redis_server import redis_url  # noqa: F401 - the fixture

from .test_workflow import _project_in
from .web import login

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _rq_worker(app, redis: str) -> subprocess.CompletedProcess:
    """`rq worker --burst`, as production runs it: its own process, configured from the environment."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "MATCHMAKER_DATABASE_URL": app.config["DATABASE_URL"],
                   "MATCHMAKER_INSTANCE_PATH": app.instance_path, "MATCHMAKER_SECRET_KEY": "worker",
                   "MATCHMAKER_JOBS": "rq", "MATCHMAKER_REDIS_URL": redis}
    command = [sys.executable, "-m", "rq.cli", "worker", "--burst", "--worker-class", "rq.worker.SimpleWorker",
               "--url", redis, jobs.QUEUE_NAME]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=180, cwd=PROJECT_ROOT,
                          check=False)


def test_a_move_queues_its_mail_on_redis_and_an_rq_worker_delivers_it(demo_app, redis_url) -> None:  # noqa: F811
    demo_app.config.update(JOBS="rq", REDIS_URL=redis_url)
    project_id = _project_in(demo_app, Stage.PROPOSED)

    response = login(demo_app.test_client(), "officer").post(f"/projects/{project_id}/moves/accept",
                                                             data={"version": "1"})
    queued = Queue(jobs.QUEUE_NAME, connection=Redis.from_url(redis_url)).count
    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        before = [m.status for m in session.scalars(select(OutboxEmail).where(OutboxEmail.status != "withheld"))]
    worker = _rq_worker(demo_app, redis_url)
    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        after = [m.status for m in session.scalars(select(OutboxEmail).where(OutboxEmail.status != "withheld"))]

    assert response.status_code == 302 and queued == 1
    assert before and set(before) == {"pending"}
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert set(after) == {"sent"} and len(after) == len(before)
    assert len(list((Path(demo_app.instance_path) / "outbox").glob("*.eml"))) == len(after)


def test_a_web_worker_without_state_queues_a_refit_that_the_rq_worker_runs(demo_app, redis_url) -> None:  # noqa: F811
    demo_app.config.update(JOBS="rq", REDIS_URL=redis_url)
    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        challenge_id = session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
    officer = login(demo_app.test_client(), "officer")
    other_web_worker = create_app(dict(demo_app.config))

    began = time.monotonic()
    before = officer.get(f"/challenges/{challenge_id}")
    answered_in = time.monotonic() - began
    login(other_web_worker.test_client(), "officer").get(f"/challenges/{challenge_id}")  # asks for a refit too
    queued = Queue(jobs.QUEUE_NAME, connection=Redis.from_url(redis_url)).count
    worker = _rq_worker(demo_app, redis_url)
    after = officer.get(f"/challenges/{challenge_id}")
    other_web_worker.extensions["sqlalchemy_engine"].dispose()

    assert before.status_code == 200 and "なにわモビリティ株式会社" not in before.text
    assert answered_in < 2.0
    assert queued == 1  # one refit, however many workers asked
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert "なにわモビリティ株式会社" in after.text  # loaded from the state the job saved


def test_the_embedded_worker_thread_runs_jobs_outside_the_request(demo_app) -> None:
    demo_app.config.update(JOBS="thread", JOBS_SWEEP_SECONDS=600)
    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        challenge_id = session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
    officer = login(demo_app.test_client(), "officer")
    try:
        first = officer.get(f"/challenges/{challenge_id}").text
        deadline = time.monotonic() + 60
        while not demo_app.extensions["match_service"].ready and time.monotonic() < deadline:
            time.sleep(0.05)
        second = officer.get(f"/challenges/{challenge_id}").text
    finally:
        jobs.worker_thread(demo_app).stop()

    assert "なにわモビリティ株式会社" not in first
    assert "なにわモビリティ株式会社" in second
