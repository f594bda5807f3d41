"""Where one request's time goes: every page bench/load drives, in process, on a copy of the demo data.

    python -m bench.load.profile [--repeats 20] [--data DIR] [--cprofile KIND] [--top 30]

Builds the demo data as bench/load does (or reuses DIR), signs in one person per role with the
Flask test client and requests each kind of page `--repeats` times. Prints per kind: wall and
CPU ms per request (median; and the least CPU, steadier on a busy machine), SQL statements per request, and the share of the load mix
(CPU x frequency), which is what ranks the work worth cutting. `--cprofile KIND` prints the
cumulative profile of that kind (a substring of its name).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from .__main__ import ACCOUNTS, PASSWORDS, SEARCHES, people, prepare, read_demo

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _kinds(role: str, email: str, demo) -> list[tuple[int, str, str, str]]:  # type: ignore[no-untyped-def]
    """(weight, kind, category, path) as bench/load's Person.actions, GET pages only."""
    common = [(2, "issue list", "read", "/challenges"),
              (1, "issue search", "search", "/challenges?q=" + random.choice(SEARCHES)),
              (1, "technology search", "search", "/technologies?q=" + random.choice(SEARCHES)),
              (1, "inbox", "read", "/inbox"), (1, "project list", "read", "/projects")]
    if role == "officer":
        own = demo.challenges_of.get(demo.municipality_of[email], []) or demo.open_challenges
        return common + [(3, "issue page with ranked companies", "ranking", f"/challenges/{random.choice(own)}"),
                         (2, "technology page", "read", f"/technologies/{random.choice(demo.technologies)}"),
                         (1, "municipality home", "ranking", "/municipality"),
                         (1, "form page (issue)", "read", "/challenges/new")]
    if role == "member":
        own = demo.technologies_of.get(email) or demo.technologies
        return common + [(3, "technology page with ranked issues", "ranking", f"/technologies/{random.choice(own)}"),
                         (2, "issue page", "read", f"/challenges/{random.choice(demo.open_challenges)}"),
                         (1, "company home", "ranking", "/company"),
                         (1, "form page (technology)", "read", "/technologies/new")]
    return common + [(2, "coordination home", "ranking", "/coordination"), (1, "dashboard", "read", "/dashboard"),
                     (2, "issue page", "read", f"/challenges/{random.choice(demo.open_challenges)}")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load.profile")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--cprofile", default=None)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--only", default=None, help="only the kinds whose name contains this")
    args = parser.parse_args(argv)

    directory = args.data or Path(os.environ.get("TMPDIR", "/tmp")) / f"matchmaker-profile-{os.getpid()}"
    if not (directory / "matchmaker.sqlite3").exists():
        directory.mkdir(parents=True, exist_ok=True)
        prepare(directory)
    env = {"MATCHMAKER_INSTANCE_PATH": str(directory / "instance"),
           "MATCHMAKER_DATABASE_URL": f"sqlite:///{directory / 'matchmaker.sqlite3'}",
           "MATCHMAKER_SECRET_KEY": "profile"}
    os.environ.update(env)
    demo = read_demo(directory / "matchmaker.sqlite3")

    from sqlalchemy import event

    from wsgi import app  # the production process: its garbage collector settings too
    statements = [0]
    writes: dict[str, set[str]] = defaultdict(set)
    current = [""]

    def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements[0] += 1
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN"):
            writes[current[0]].add(statement.strip()[:60])

    event.listen(app.extensions["sqlalchemy_engine"], "before_cursor_execute", _count)

    # The load mix: how often each kind is asked for, from bench/load's users and weights.
    share: dict[str, float] = defaultdict(float)
    crowd = people(50, demo, "")
    for person in crowd:
        kinds = _kinds(person.role, person.email, demo)
        total = sum(w for w, *_ in kinds)
        for weight, kind, _category, _path in kinds:
            share[kind] += weight / total / len(crowd)

    collecting = [0.0, 0.0]  # seconds spent in the garbage collector during requests; start of the current one

    def _gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collecting[1] = time.perf_counter()
        else:
            collecting[0] += time.perf_counter() - collecting[1]

    gc.callbacks.append(_gc)
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    in_gc: dict[str, list[float]] = defaultdict(list)
    profiler = cProfile.Profile() if args.cprofile else None
    for role in ("officer", "member", "coordinator"):
        email = ACCOUNTS[role][0]
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = CSRF.search(page)
        response = client.post("/login", data={"email": email, "password": PASSWORDS[role],
                                                "csrf_token": token.group(1) if token else ""})
        assert response.status_code == 302, response.status_code
        for repeat in range(args.repeats + 2):
            for _weight, kind, _category, path in _kinds(role, email, demo):
                if args.only and args.only not in kind:
                    continue
                statements[0] = 0
                current[0] = kind
                gc_before = collecting[0]
                profiling = profiler is not None and (args.cprofile == "*" or args.cprofile in kind) and repeat >= 2
                if profiling and profiler is not None:
                    profiler.enable()
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
                if profiling and profiler is not None:
                    profiler.disable()
                assert response.status_code == 200, (path, response.status_code)
                if repeat >= 2:  # the first two warm caches (templates, engine tokens)
                    wall[kind].append(elapsed * 1e3)
                    cpu[kind].append(elapsed_cpu * 1e3)
                    queries[kind].append(statements[0])
                    in_gc[kind].append((collecting[0] - gc_before) * 1e3)

    print(f"{'kind':42} {'wall ms':>8} {'cpu ms':>7} {'min cpu':>7} {'sql':>5} {'share':>6} {'cpu x share':>11}")
    rows = sorted(wall, key=lambda k: -statistics.median(cpu[k]) * share[k])
    mean: float = 0.0
    for kind in rows:
        mix = share[kind]
        mean += statistics.mean(cpu[kind]) * mix
        print(f"{kind:42} {statistics.median(wall[kind]):8.1f} {statistics.median(cpu[kind]):7.1f} {min(cpu[kind]):7.1f} "
              f"{statistics.median(queries[kind]):5.0f} {mix:6.3f} {statistics.median(cpu[kind]) * mix:11.2f}")
    print(f"mean CPU per request over the GET mix: {mean:.1f} ms, of which garbage collection "
          f"{sum(statistics.mean(in_gc[k]) * share[k] for k in rows):.1f} ms")
    for kind, found in sorted(writes.items()):
        print(f"writes during GET {kind}: {sorted(found)}")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
