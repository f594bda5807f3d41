"""Pages at prefecture and national scale: one worker's latency, queries, cold start, memory, replay.

    python -m bench.scale [--sizes S,M] [--requests 15] [--keep DIR]

Sizes (issues x technologies): S = 300 x 1,000 (the query-count reference), M = 3,000 x 10,000,
L = 20,000 x 100,000. For each size, in a fresh SQLite database:

1. builds the data through the models (deterministic: seeded synthetic text from the calibrated
   generator of bench/speed, organisations with four technologies each, projects for one issue in
   ten with their stage history), then `matchmaker rescore` (timed);
2. one worker (this process, the Flask test client): median and p95 latency and the SQL queries
   of each page, signed in as the role that sees it;
3. cold start: a fresh process (what a new gunicorn worker does) until its first ranking page
   answers, and its RSS and PSS (PSS shares the mapped engine arrays among the processes mapping
   them); four such processes at once, summed;
4. 1,000 catalogue edits, then a fresh process again: the time until its first ranking page.

Prints one table per size. Everything runs on this machine and is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"T": (40, 120), "S": (300, 1_000), "M": (3_000, 10_000), "L": (20_000, 100_000)}
# L spreads its issues over the country's 1,741 municipalities (synthetic ones beside the seeded 43).
MUNICIPALITIES = {"L": 1_741}
PASSWORD = "bench-scale-password"
ACCOUNTS = {"officer": "officer@scale.example", "member": "member@scale.example",
            "coordinator": "coordinator@scale.example", "admin": "admin@scale.example"}


def _environment(directory: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MATCHMAKER_")}
    env.update({"PYTHONPATH": str(ROOT), "MATCHMAKER_INSTANCE_PATH": str(directory / "instance"),
                "MATCHMAKER_DATABASE_URL": f"sqlite:///{directory / 'scale.sqlite3'}",
                "MATCHMAKER_SECRET_KEY": "bench-scale-" + os.urandom(8).hex(), "MATCHMAKER_WTF_CSRF_ENABLED": "false"})
    return env


def _matchmaker(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("matchmaker")), *args], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=7200)
    return time.perf_counter() - start


def build(env: dict[str, str], issues: int, technologies: int, municipalities: int = 0) -> dict[str, int]:
    """The catalogue through the models, in this process (the app is configured from env)."""
    os.environ.update(env)
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from bench.speed.corpus import SyntheticCorpus
    from matchmaker import create_app
    from models import (
        BudgetRange,
        Challenge,
        ChallengeStatus,
        Field,
        Maturity,
        MembershipStatus,
        Municipality,
        Organization,
        Project,
        ProjectStageChange,
        Role,
        Stage,
        Technology,
        User,
    )
    from models.reference import local_government_code_check_digit

    app = create_app()
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    rng = random.Random(20261129)
    corpus = SyntheticCorpus()
    fields = {f.key: f for f in session.scalars(select(Field))}
    places = list(session.scalars(select(Municipality).order_by(Municipality.id)))
    regions = sorted({m.region for m in places})
    taken = {m.code for m in places}
    extra: list[Municipality] = []
    for number in range(10_000, 99_999):
        if len(places) + len(extra) >= municipalities:
            break
        code = f"{number:05d}{local_government_code_check_digit(f'{number:05d}')}"
        if code not in taken:
            n = len(extra)
            extra.append(Municipality(code=code, name=f"試験市{n:04d}", reading=f"しけんし{n:04d}",
                                      name_en=f"Test City {n:04d}", region=regions[n % len(regions)]))
    session.add_all(extra)
    session.flush()
    places += extra
    organizations = [Organization(name=f"規模試験株式会社{i:06d}", kind="company", member_category="corporate",
                                  membership_status=MembershipStatus.APPROVED) for i in range(max(technologies // 4, 1))]
    session.add_all(organizations)
    session.flush()
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    users = {
        "officer": User(email=ACCOUNTS["officer"], password_hash=hashed, display_name="職員", role=Role.MUNICIPAL_OFFICER,
                        municipality=places[0]),
        "member": User(email=ACCOUNTS["member"], password_hash=hashed, display_name="会員", role=Role.COMPANY_MEMBER,
                       organization=organizations[0]),
        "coordinator": User(email=ACCOUNTS["coordinator"], password_hash=hashed, display_name="コーディネーター",
                            role=Role.COORDINATOR),
        "admin": User(email=ACCOUNTS["admin"], password_hash=hashed, display_name="管理者", role=Role.ADMIN),
    }
    users["coordinator"].coordinator_fields = [fields["elderly"], fields["mobility"], fields["health"]]
    session.add_all(users.values())
    session.commit()
    challenge_ids: list[int] = []
    for start in range(0, issues, 1_000):
        batch: list[Challenge] = []
        for i in range(start, min(start + 1_000, issues)):
            doc = corpus.challenge(i)
            batch.append(Challenge(municipality=places[i % len(places)], title=doc.title[:120], description=doc.description,
                                   status=ChallengeStatus.OPEN, budget_range=rng.choice(list(BudgetRange)),
                                   fields=[fields[k] for k in doc.fields]))
        session.add_all(batch)
        session.commit()
        challenge_ids += [c.id for c in batch]
    technology_ids: list[int] = []
    for start in range(0, technologies, 1_000):
        products: list[Technology] = []
        for i in range(start, min(start + 1_000, technologies)):
            product = corpus.technology(i)
            products.append(Technology(organization=organizations[i % len(organizations)], title=product.title[:120],
                                    description=product.description, maturity=Maturity(product.maturity),
                                    fields=[fields[k] for k in product.fields]))
        session.add_all(products)
        session.commit()
        technology_ids += [t.id for t in products]
    stages = list(Stage)
    implemented = 0
    challenges = {c.id: c for c in session.scalars(select(Challenge).where(Challenge.id.in_(challenge_ids[::10])))}
    for n, challenge_id in enumerate(challenge_ids[::10]):
        challenge = challenges[challenge_id]
        technology = session.get(Technology, technology_ids[n % len(technology_ids)])
        assert technology is not None
        stage = stages[n % len(stages)]
        project = Project(title=f"案件{n}", stage=stage, lead_organization=technology.organization,
                          challenges=[challenge], technologies=[technology], municipalities=[challenge.municipality],
                          organizations=[technology.organization])
        session.add(project)
        session.flush()
        session.add(ProjectStageChange(project_id=project.id, move="propose", from_stage=None, to_stage=Stage.PROPOSED))
        if stage is Stage.IMPLEMENTED and not implemented:
            implemented = project.id
    session.commit()
    session.close()
    return {"challenge": challenge_ids[0], "technology": technology_ids[0], "officer_challenge": challenge_ids[0],
            "member_technology": technology_ids[0], "implemented_project": implemented}


PAGES = [
    ("issue page with rankings", "officer", "/challenges/{officer_challenge}"),
    ("technology page with rankings", "member", "/technologies/{member_technology}"),
    ("coordination home", "coordinator", "/coordination"),
    ("company home", "member", "/company"),
    ("municipality home", "officer", "/municipality"),
    ("dashboard", "admin", "/dashboard"),
    ("inbox (coordinator)", "coordinator", "/inbox"),
    ("issue list", "officer", "/challenges"),
    ("technology search", "member", "/technologies?q=高齢者"),
    ("technology list page 50", "member", "/technologies?page=50"),
    ("issue search", "member", "/challenges?q=高齢者"),
    ("rollout of a project", "admin", "/projects/{implemented_project}/rollout"),
]


def pages(env: dict[str, str], ids: dict[str, int], requests: int) -> list[tuple[str, float, float, float, float, int]]:
    """(page, median ms, p95 ms, CPU median ms, CPU p95 ms, queries) with this process as the one
    worker (CPU: this thread's time, which other work on the machine does not inflate)."""
    os.environ.update(env)
    from sqlalchemy import event

    from matchmaker import create_app

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    clients = {}
    for role, email in ACCOUNTS.items():
        client = app.test_client()
        answer = client.post("/login", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 302, (role, answer.status_code)
        clients[role] = client
    engine = app.extensions["sqlalchemy_engine"]
    rows = []
    for name, role, template in PAGES:
        url = template.format(**ids)
        client = clients[role]
        assert client.get(url).status_code == 200, url  # warm: engine loaded, reference data cached
        statements: list[str] = []
        me = threading.get_ident()

        def count(_conn, _cursor, statement, *_args, statements=statements, me=me) -> None:  # type: ignore[no-untyped-def]
            if threading.get_ident() == me:  # the request's own, not a background job's (a refit, a snapshot)
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        answer = client.get(url)
        event.remove(engine, "before_cursor_execute", count)
        assert answer.status_code == 200, (url, answer.status_code)
        times, cpu = [], []
        for _ in range(requests):
            start, start_cpu = time.perf_counter(), time.thread_time()
            client.get(url)
            times.append((time.perf_counter() - start) * 1e3)
            cpu.append((time.thread_time() - start_cpu) * 1e3)
        times.sort()
        cpu.sort()
        p95 = max(0, round(0.95 * len(times)) - 1)
        rows.append((name, statistics.median(times), times[p95], statistics.median(cpu), cpu[p95], len(statements)))
    return rows


_WORKER = r'''
import os, sys, time
start = time.perf_counter()
from matchmaker import create_app
app = create_app()
app.config["WTF_CSRF_ENABLED"] = False
client = app.test_client()
assert client.post("/login", data={"email": sys.argv[1], "password": sys.argv[2]}).status_code == 302
answer = client.get(sys.argv[3])
ranked = answer.data.count(b"/technologies/")
elapsed = time.perf_counter() - start
cpu = sum(os.times()[:2])
def kb(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
print(f"{elapsed:.3f} {cpu:.3f} {answer.status_code} {ranked} {kb('/proc/self/status', 'VmRSS:')} {kb('/proc/self/smaps_rollup', 'Pss:')}", flush=True)
sys.stdin.readline()  # stay alive (mapped) until told to go, so that processes started together share
'''


def cold_start(env: dict[str, str], ids: dict[str, int],
               processes: int = 1) -> list[tuple[float, int, int, int, int, float]]:
    """Fresh processes at once until each answers its first ranking page: (seconds, status,
    links to ranked technologies, RSS kB, PSS kB, CPU seconds), measured while all are alive.
    CPU seconds (imports, loading, replay, the first page) do not depend on how busy the machine is."""
    url = PAGES[0][2].format(**ids)
    started = [subprocess.Popen([sys.executable, "-c", _WORKER, ACCOUNTS["officer"], PASSWORD, url], cwd=ROOT, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    results = []
    try:
        for process in started:
            assert process.stdout is not None
            seconds, cpu, status, ranked, rss, pss = process.stdout.readline().split()
            results.append((float(seconds), int(status), int(ranked), int(rss), int(pss), float(cpu)))
    finally:
        for process in started:
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=60)
    return results


def edit(env: dict[str, str], count: int) -> float:
    """`count` technology edits through the models (each one change-feed position)."""
    os.environ.update(env)
    from sqlalchemy import select

    from matchmaker import create_app
    from models import Technology

    app = create_app()
    start = time.perf_counter()
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    ids = list(session.scalars(select(Technology.id).order_by(Technology.id).limit(count)))
    for n, technology_id in enumerate(ids):
        technology = session.get(Technology, technology_id)
        assert technology is not None
        technology.description += f"\n改訂{n}: 見守りと予約の改善"
        session.commit()
    session.close()
    return time.perf_counter() - start


def run_size(label: str, requests: int, keep: Path | None) -> None:
    issues, technologies = SIZES[label]
    directory = Path(tempfile.mkdtemp(prefix=f"matchmaker-scale-{label}-")) if keep is None else keep / label
    directory.mkdir(parents=True, exist_ok=True)
    env = _environment(directory)
    print(f"\n## {label}: {issues:,} issues x {technologies:,} technologies (load average {os.getloadavg()[0]:.1f})",
          flush=True)
    try:
        _matchmaker(env, "init-db")
        _matchmaker(env, "seed", "--reference-only")
        started = time.perf_counter()
        ids = build(env, issues, technologies, MUNICIPALITIES.get(label, 0))
        print(f"built through the models in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"`matchmaker rescore`: {_matchmaker(env, 'rescore'):.1f} s", flush=True)
        state = directory / "instance" / "engine_state"
        size = sum(f.stat().st_size for f in state.rglob("*") if f.is_file()) if state.exists() else 0
        print(f"engine state on disk: {size / 1e6:.0f} MB", flush=True)
        print("\n| page (one worker) | median ms | p95 ms | CPU median / p95 ms | SQL queries |\n|---|---:|---:|---:|---:|")
        for name, median, p95, cpu_median, cpu_p95, queries in pages(env, ids, requests):
            print(f"| {name} | {median:.0f} | {p95:.0f} | {cpu_median:.0f} / {cpu_p95:.0f} | {queries} |", flush=True)
        (one,) = cold_start(env, ids, 1)
        four = cold_start(env, ids, 4)
        print(f"\ncold start of one worker to its first ranking page: {one[0]:.1f} s, {one[5]:.1f} CPU s (HTTP {one[1]}, "
              f"{one[2]} technology links); RSS {one[3] / 1024:.0f} MB, PSS {one[4] / 1024:.0f} MB")
        print(f"four workers started together: slowest {max(r[0] for r in four):.1f} s, "
              f"{max(r[5] for r in four):.1f} CPU s; RSS summed "
              f"{sum(r[3] for r in four) / 1024:.0f} MB, PSS summed {sum(r[4] for r in four) / 1024:.0f} MB "
              f"(PSS counts shared pages once across them)", flush=True)
        edits = edit(env, 1_000)
        (after,) = cold_start(env, ids, 1)
        print(f"1,000 technology edits ({edits:.0f} s), then a fresh worker to its first ranking page: "
              f"{after[0]:.1f} s, {after[5]:.1f} CPU s (HTTP {after[1]})", flush=True)
    finally:
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M", help="comma-separated, of S, M, L")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args(argv)
    print(f"# bench.scale, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for label in args.sizes.split(","):
        # Each size in its own process: the app and its engine are per database.
        subprocess.run([sys.executable, "-m", "bench.scale", "--one", label, "--requests", str(args.requests),
                        *(["--keep", str(args.keep)] if args.keep else [])], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        label = sys.argv[2]
        rest = argparse.ArgumentParser()
        rest.add_argument("--requests", type=int, default=15)
        rest.add_argument("--keep", type=Path)
        options = rest.parse_args(sys.argv[3:])
        run_size(label, options.requests, options.keep)
        sys.exit(0)
    sys.exit(main())
