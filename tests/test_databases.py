"""The test suite's own database plumbing: what a killed run leaves behind is cleaned up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.databases import CLUSTER_PREFIX, OWNER_FILE, reap_abandoned_clusters

NO_BINARIES = Path("/nonexistent/bin")


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _cluster(parent: Path, name: str, *, owner: int | None, server: int | None = None,
             minutes_ago: float = 60) -> Path:
    root = parent / f"{CLUSTER_PREFIX}{name}"
    (root / "data").mkdir(parents=True)
    (root / "socket").mkdir()
    (root / "log").write_text("")
    if owner is not None:
        (root / OWNER_FILE).write_text(str(owner))
    if server is not None:
        (root / "data" / "postmaster.pid").write_text(f"{server}\n/some/data\n")
    then = time.time() - minutes_ago * 60
    for path in (root / "log", root):
        os.utime(path, (then, then))
    return root


@contextmanager
def _listening(root: Path) -> Iterator[None]:
    # Unix socket paths are limited to ~100 bytes: listen in a short directory and link it in.
    with socket.socket(socket.AF_UNIX) as server:
        short = Path(f"/tmp/mm-{os.getpid()}-{root.name[-6:]}.sock")
        server.bind(str(short))
        server.listen()
        (root / "socket" / ".s.PGSQL.5432").symlink_to(short)
        try:
            yield
        finally:
            short.unlink()


def test_clusters_of_dead_runs_are_deleted_and_live_or_recent_ones_kept(tmp_path: Path) -> None:
    dead = _dead_pid()
    reaped_expected = [
        _cluster(tmp_path, "dead-owner", owner=dead),
        _cluster(tmp_path, "no-owner-stopped", owner=None, server=dead),
        _cluster(tmp_path, "never-started", owner=None),
    ]
    orphan = _cluster(tmp_path, "orphan-server", owner=dead, server=os.getpid())
    kept = [
        _cluster(tmp_path, "live-owner", owner=os.getpid()),
        _cluster(tmp_path, "starting", owner=dead, minutes_ago=1),
        _cluster(tmp_path, "other-namespace", owner=dead, server=dead),
    ]
    unrelated = tmp_path / "someone-else"
    unrelated.mkdir()

    with _listening(orphan), _listening(kept[2]):
        reaped = reap_abandoned_clusters(NO_BINARIES, tmp_path)

    assert sorted(reaped) == sorted([*reaped_expected, orphan])
    assert not any(root.exists() for root in [*reaped_expected, orphan])
    assert all(root.exists() for root in [*kept, unrelated])
