"""The test suite's own database plumbing: what a killed run leaves behind is cleaned up, and
nothing a live run (in this PID namespace or another sharing /dev/shm) uses is touched."""

from __future__ import annotations

import fcntl
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


def _cluster(parent: Path, name: str, *, owner_file: bool = True, server: int | None = None,
             minutes_ago: float = 60) -> Path:
    root = parent / f"{CLUSTER_PREFIX}{name}"
    (root / "data").mkdir(parents=True)
    (root / "socket").mkdir()
    (root / "log").write_text("")
    if owner_file:
        (root / OWNER_FILE).write_text("12345")  # a pid, which the reaper does not trust
    if server is not None:
        (root / "data" / "postmaster.pid").write_text(f"{server}\n{root / 'data'}\n")
    then = time.time() - minutes_ago * 60
    for path in (root / "log", root):
        os.utime(path, (then, then))
    return root


@contextmanager
def _owned(root: Path) -> Iterator[None]:
    """The lock a live run holds on its cluster (from another open file: flock is per open file)."""
    with (root / OWNER_FILE).open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


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


@contextmanager
def _process_in(directory: Path) -> Iterator[int]:
    """A process whose working directory is `directory`, as a postmaster's is its data directory."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], cwd=directory)
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def test_clusters_of_dead_runs_are_deleted_and_live_or_foreign_ones_kept(tmp_path: Path) -> None:
    stopped: list[Path] = []

    def stop(root: Path) -> bool:
        stopped.append(root)
        return root.name.endswith("orphan")  # the orphan's stop works; the other one's fails

    abandoned = _cluster(tmp_path, "dead-owner")
    old_style = _cluster(tmp_path, "no-owner-file-old", owner_file=False)
    orphan = _cluster(tmp_path, "orphan")
    unstoppable = _cluster(tmp_path, "unstoppable")
    live = _cluster(tmp_path, "live-owner")
    live_recently_made = _cluster(tmp_path, "just-made", owner_file=False, minutes_ago=1)
    foreign = _cluster(tmp_path, "other-namespace", server=os.getpid())  # a pid that is not its server here
    unrelated = tmp_path / "someone-else"
    unrelated.mkdir()

    with _process_in(orphan / "data") as orphan_server, _process_in(unstoppable / "data") as stubborn:
        (orphan / "data" / "postmaster.pid").write_text(f"{orphan_server}\n")
        (unstoppable / "data" / "postmaster.pid").write_text(f"{stubborn}\n")
        with _owned(live), _listening(orphan), _listening(unstoppable), _listening(foreign):
            reaped = reap_abandoned_clusters(NO_BINARIES, tmp_path, stop=stop)

    assert sorted(reaped) == sorted([abandoned, old_style, orphan])
    assert sorted(stopped) == sorted([orphan, unstoppable])  # never the foreign one: its pid is not its server
    for root in (live, live_recently_made, foreign, unstoppable, unrelated):
        assert root.exists(), root
