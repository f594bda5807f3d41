"""Load: gunicorn with 4 workers on loopback, a copy of the demo data, 50 simulated users for 60 s.

    python -m bench.load [--users 50] [--seconds 60] [--workers 4] [--think 7] [--no-results]

1. Builds a fresh SQLite database with the demo data in a temporary directory (init-db, seed,
   rescore: what `make run` does) and starts `gunicorn -w 4 wsgi:app` on 127.0.0.1.
2. Single user: one signed-in person per role makes each kind of request a few times, one at a
   time. These are the same-run figures printed beside the loaded ones.
3. Load, twice on the same server: the users (officers, company members, coordinators, an admin;
   each signed in with its own session and CSRF token) make requests from their role's mix
   - closed loop: the next request as soon as the answer comes back (the stress figure: on two
     cores it measures throughput, and latency is users / throughput), then
   - think time: a pause after each answer, as people read a page before the next click, drawn
     from the negative exponential distribution that TPC-W specifies for its emulated browsers
     (mean `--think` seconds, 7 by default as in TPC-W, truncated at ten times the mean); each
     user also starts after such a pause, so the users do not all click at the same instant.
   Every request is bounded (30 s timeout, at most 5,000 per user).
4. Stops gunicorn, then checks that every write the server acknowledged (a redirect to the new
   record), in either phase, is in the database with what was sent.

Prints p50/p95/p99 per kind for both phases with the single-user figures beside them, the
server's CPU time per request (all gunicorn workers, from /proc) beside the driver's own,
errors (5xx, timeouts, refused connections, unexpected statuses) and lost writes, and records
the tables in bench/RESULTS.md. Everything runs on loopback and is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"
TIMEOUT = 30.0
MAX_REQUESTS_PER_USER = 5_000
READ_TARGET_MS, WRITE_TARGET_MS = 200.0, 300.0
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORDS = {"admin": "demo-admin-2026", "coordinator": "demo-coord-2026", "officer": "demo-officer-2026",
             "member": "demo-member-2026"}
ACCOUNTS = {
    "officer": ["officer.kawachinagano@demo.matchmaker.example", "officer.toyonaka@demo.matchmaker.example",
                "officer.sakai@demo.matchmaker.example", "officer.hirakata@demo.matchmaker.example",
                "officer.toyono@demo.matchmaker.example"],
    "member": ["member@naniwa-mobility.example", "member@mimamori-tech.example", "member@kns.example",
               "member@kansai-travel-lab.example"],
    "coordinator": ["coordinator@demo.matchmaker.example", "coordinator2@demo.matchmaker.example"],
    "admin": ["admin@demo.matchmaker.example"],
}
SEARCHES = ["見守り", "AI", "観光", "防災", "子育て", "オンデマンド", "データ", "高齢者"]


# -- the server ---------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(directory: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MATCHMAKER_")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "MATCHMAKER_INSTANCE_PATH": str(directory / "instance"),
        "MATCHMAKER_DATABASE_URL": f"sqlite:///{directory / 'matchmaker.sqlite3'}",
        "MATCHMAKER_SECRET_KEY": "bench-load-" + os.urandom(8).hex(),
    })
    return env


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def prepare(directory: Path) -> dict[str, str]:
    env = _environment(directory)
    for command in (["init-db"], ["seed"], ["rescore"]):
        subprocess.run([_tool("matchmaker"), *command], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=600)
    return env


@dataclass
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time of the gunicorn master and its workers so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pids = [self.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        except OSError:
            return float("nan")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return total


@contextmanager
def gunicorn(env: dict[str, str], workers: int, directory: Path, extra: list[str] | None = None) -> Iterator[Server]:
    port = _free_port()
    log = (directory / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [_tool("gunicorn"), "-w", str(workers), "--timeout", "120", "-b", f"127.0.0.1:{port}", *(extra or []),
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {directory / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer /healthz within 120 s") from None
                time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


# -- what the users see --------------------------------------------------------------------
@dataclass(frozen=True)
class Demo:
    """Ids the users need, read from the database before the run."""

    municipality_of: dict[str, int]          # officer e-mail -> municipality id
    challenges_of: dict[int, list[int]]      # municipality id -> its open challenge ids
    technologies_of: dict[str, list[int]]    # member e-mail -> its technology ids
    open_challenges: list[int]
    technologies: list[int]


def read_demo(database: Path) -> Demo:
    with sqlite3.connect(database) as connection:
        municipality_of = dict(connection.execute(
            "SELECT email, municipality_id FROM users WHERE municipality_id IS NOT NULL").fetchall())
        challenges_of: dict[int, list[int]] = defaultdict(list)
        for challenge_id, municipality_id in connection.execute(
                "SELECT id, municipality_id FROM challenges WHERE status = 'open'"):
            challenges_of[municipality_id].append(challenge_id)
        technologies_of: dict[str, list[int]] = defaultdict(list)
        for email, technology_id in connection.execute(
                "SELECT u.email, t.id FROM users u JOIN technologies t ON t.organization_id = u.organization_id"):
            technologies_of[email].append(technology_id)
        technologies = [row[0] for row in connection.execute("SELECT id FROM technologies")]
    return Demo(municipality_of, dict(challenges_of), dict(technologies_of),
                sorted(i for ids in challenges_of.values() for i in ids), technologies)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # a redirect is an answer to record, not to follow


@dataclass
class Sample:
    kind: str
    category: str  # read, search, ranking, write; sign-in (password hashing by design) has no target
    ms: float
    ok: bool
    detail: str = ""


@dataclass
class Write:
    table: str
    title: str
    record_id: int


@dataclass
class Person:
    role: str
    email: str
    demo: Demo
    base: str
    samples: list[Sample] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    counter: int = 0

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    def request(self, method: str, path: str, data: Mapping[str, object] | None = None) -> tuple[int, str, dict[str, str]]:
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        request = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def timed(self, kind: str, category: str, method: str, path: str, data: Mapping[str, object] | None = None,
              expect: tuple[int, ...] = (200,)) -> tuple[int, str, dict[str, str]]:
        start = time.perf_counter()
        try:
            status, text, headers = self.request(method, path, data)
        except (OSError, urllib.error.URLError) as error:
            self.samples.append(Sample(kind, category, (time.perf_counter() - start) * 1e3, False, repr(error)))
            return 0, "", {}
        ms = (time.perf_counter() - start) * 1e3
        self.samples.append(Sample(kind, category, ms, status in expect, "" if status in expect else f"HTTP {status}"))
        return status, text, headers

    def sign_in(self) -> None:
        _status, page, _ = self.request("GET", "/login")
        token = CSRF.search(page)
        password = PASSWORDS[self.role]
        data = {"email": self.email, "password": password, "csrf_token": token.group(1) if token else ""}
        self.timed("sign in (scrypt; not a target)", "sign-in", "POST", "/login", data, expect=(302,))

    # each action is one kind of request
    def actions(self) -> list[tuple[int, Callable[[], object]]]:
        """(weight, action) for this person's role."""
        demo = self.demo
        common: list[tuple[int, Callable[[], object]]] = [
            (2, lambda: self.timed("issue list", "read", "GET", "/challenges")),
            (1, lambda: self.timed("issue search", "search", "GET", "/challenges?" + urllib.parse.urlencode(
                {"q": random.choice(SEARCHES)}))),
            (1, lambda: self.timed("technology search", "search", "GET", "/technologies?" + urllib.parse.urlencode(
                {"q": random.choice(SEARCHES)}))),
            (1, lambda: self.timed("inbox", "read", "GET", "/inbox")),
            (1, lambda: self.timed("project list", "read", "GET", "/projects")),
        ]
        if self.role == "officer":
            own = demo.challenges_of.get(demo.municipality_of[self.email], []) or demo.open_challenges
            return common + [
                (3, lambda: self.timed("issue page with ranked companies", "ranking", "GET",
                                       f"/challenges/{random.choice(own)}")),
                (2, lambda: self.timed("technology page", "read", "GET",
                                       f"/technologies/{random.choice(demo.technologies)}")),
                (1, lambda: self.timed("municipality home", "ranking", "GET", "/municipality")),
                (1, self.new_issue),
            ]
        if self.role == "member":
            own = demo.technologies_of.get(self.email) or demo.technologies
            return common + [
                (3, lambda: self.timed("technology page with ranked issues", "ranking", "GET",
                                       f"/technologies/{random.choice(own)}")),
                (2, lambda: self.timed("issue page", "read", "GET", f"/challenges/{random.choice(demo.open_challenges)}")),
                (1, lambda: self.timed("company home", "ranking", "GET", "/company")),
                (1, self.new_technology),
            ]
        return common + [
            (2, lambda: self.timed("coordination home", "ranking", "GET", "/coordination")),
            (1, lambda: self.timed("dashboard", "read", "GET", "/dashboard")),
            (2, lambda: self.timed("issue page", "read", "GET", f"/challenges/{random.choice(demo.open_challenges)}")),
        ]

    def _form_token(self, path: str) -> str:
        _status, page, _ = self.timed("form page", "read", "GET", path)
        token = CSRF.search(page)
        return token.group(1) if token else ""

    def new_issue(self) -> None:
        self.counter += 1
        title = f"負荷試験の課題 {self.email.split('@')[0]} {self.counter} {os.urandom(3).hex()}"
        data = {
            "csrf_token": self._form_token("/challenges/new"), "title": title,
            "description": "駅前の放置自転車が多く、歩行者の通行を妨げています。撤去の計画を立てたい。",
            "field_keys": ["mobility"], "target": "駅周辺", "budget_range": "under_1m", "desired_start": "2027-04-01",
            "available_data": "", "status": "open", "municipality_id": str(self.demo.municipality_of[self.email]),
        }
        status, _text, headers = self.timed("new issue", "write", "POST", "/challenges/new", data, expect=(302,))
        self._acknowledged("challenges", title, status, headers, r"/challenges/(\d+)")

    def new_technology(self) -> None:
        self.counter += 1
        title = f"負荷試験の技術 {self.email.split('@')[0]} {self.counter} {os.urandom(3).hex()}"
        data = {
            "csrf_token": self._form_token("/technologies/new"), "title": title,
            "description": "カメラ映像から放置自転車を検知し、撤去の計画を支援します。",
            "field_keys": ["mobility", "safety"], "maturity": "piloted", "price_band": "under_1m",
        }
        status, _text, headers = self.timed("new technology", "write", "POST", "/technologies/new", data,
                                            expect=(302,))
        self._acknowledged("technologies", title, status, headers, r"/technologies/(\d+)")

    def _acknowledged(self, table: str, title: str, status: int, headers: dict[str, str], pattern: str) -> None:
        match = re.search(pattern, headers.get("Location", ""))
        if status == 302 and match:
            self.writes.append(Write(table, title, int(match.group(1))))
        elif status == 302:
            self.samples[-1].ok, self.samples[-1].detail = False, f"redirect to {headers.get('Location')}"


def people(count: int, demo: Demo, base: str) -> list[Person]:
    """Mostly officers and company members, some coordinators, one admin (as the forum is)."""
    roles = ["officer"] * 2 + ["member"] * 2 + ["coordinator"]
    result = []
    for number in range(count):
        role = "admin" if number == count - 1 else roles[number % len(roles)]
        accounts = ACCOUNTS[role]
        result.append(Person(role, accounts[number % len(accounts)], demo, base))
    return result


# -- running ------------------------------------------------------------------------------
def single_user(demo: Demo, base: str, repeats: int, workers: int) -> list[Sample]:
    """Each role's kinds one at a time, after a warm-up round per worker that is not recorded: each
    gunicorn worker loads the engine and the tokeniser on its first ranking or search request,
    once per process, and the single-user figures are the steady state beside the loaded ones."""
    samples: list[Sample] = []
    for role in ("officer", "member", "coordinator"):
        person = Person(role, ACCOUNTS[role][0], demo, base)
        person.sign_in()
        for _ in range(workers):
            for _weight, action in person.actions():
                action()
        person.samples[:] = [s for s in person.samples if not s.ok]  # warm-up errors still count
        for _ in range(repeats):
            for _weight, action in person.actions():
                action()
        samples += person.samples
        _single_writes.extend(person.writes)
    return samples


_single_writes: list[Write] = []


def think_time(mean: float) -> float:
    """A pause between a user's requests: negative exponential with the given mean, truncated at
    ten times the mean (TPC-W's emulated browsers; people mostly click on quickly, sometimes read long)."""
    return min(random.expovariate(1 / mean), 10 * mean) if mean > 0 else 0.0


def loaded(crowd: list[Person], seconds: float, think: float, started: Callable[[], object] = lambda: None) -> None:
    """Run the crowd for `seconds`; `started` is called once everyone has signed in (the clock starts)."""
    start = threading.Barrier(len(crowd) + 1)
    stop_at = [float("inf")]  # set once everyone has signed in

    def run(person: Person) -> None:
        person.sign_in()
        weighted = [action for weight, action in person.actions() for _ in range(weight)]
        start.wait()
        person.samples.clear()  # sign-ins happen before the clock starts
        time.sleep(think_time(think))  # people arrive at different moments, not all at once
        while time.monotonic() < stop_at[0] and len(person.samples) < MAX_REQUESTS_PER_USER:
            random.choice(weighted)()
            pause = think_time(think)
            if pause and time.monotonic() + pause < stop_at[0]:
                time.sleep(pause)
            elif pause:
                break

    threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in crowd]
    for thread in threads:
        thread.start()
    start.wait()
    started()
    stop_at[0] = time.monotonic() + seconds
    for thread in threads:
        thread.join(timeout=seconds + 2 * TIMEOUT)


def lost_writes(database: Path, writes: list[Write]) -> list[Write]:
    lost = []
    with sqlite3.connect(database) as connection:
        for write in writes:
            row = connection.execute(f"SELECT title FROM {write.table} WHERE id = ?", (write.record_id,)).fetchone()
            if row is None or row[0] != write.title:
                lost.append(write)
    return lost


# -- reporting ----------------------------------------------------------------------------
def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), cuts[94], cuts[98]


def table(load: list[Sample], single: list[Sample], seconds: float) -> tuple[list[str], dict[str, float]]:
    by_kind: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in load:
        by_kind[(sample.category, sample.kind)].append(sample)
    single_by_kind: dict[str, list[float]] = defaultdict(list)
    for sample in single:
        if sample.ok:
            single_by_kind[sample.kind].append(sample.ms)
    lines = ["| kind | category | requests | errors | p50 ms | p95 ms | p99 ms | single-user p50 / p95 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    worst: dict[str, float] = {}
    for (category, kind), samples in sorted(by_kind.items()):
        times = [s.ms for s in samples]
        p50, p95, p99 = _percentiles(times)
        worst[category] = max(worst.get(category, 0.0), p95)
        alone = single_by_kind.get(kind)
        alone_text = "{:.0f} / {:.0f}".format(*_percentiles(alone)[:2]) if alone else "–"
        lines.append(f"| {kind} | {category} | {len(samples)} | {sum(not s.ok for s in samples)} | {p50:.0f} | "
                     f"{p95:.0f} | {p99:.0f} | {alone_text} |")
    for category in ("read", "search", "ranking", "write"):
        times = [s.ms for s in load if s.category == category]
        if times:
            p50, p95, p99 = _percentiles(times)
            alone = [s.ms for s in single if s.category == category and s.ok]
            alone_text = "{:.0f} / {:.0f}".format(*_percentiles(alone)[:2]) if alone else "–"
            lines.append(f"| **all {category}** | {category} | {len(times)} | "
                         f"{sum(not s.ok for s in load if s.category == category)} | {p50:.0f} | {p95:.0f} | "
                         f"{p99:.0f} | {alone_text} |")
    lines.append(f"\nThroughput: {len(load) / seconds:.1f} requests/s.")
    return lines, worst


def record(lines: list[str], header: str) -> None:
    begin, end = "<!-- bench-load:begin -->", "<!-- bench-load:end -->"
    block = f"{begin}\n{header}\n\n" + "\n".join(lines) + f"\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else ""
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n## Load (`make bench-load`)\n\n" + block + "\n"
    RESULTS.write_text(text)


@dataclass
class Phase:
    name: str
    think: float
    crowd: list[Person]
    server_cpu: float = 0.0  # seconds, all gunicorn processes
    driver_cpu: float = 0.0  # seconds, this process (the simulated users)

    @property
    def samples(self) -> list[Sample]:
        return [s for p in self.crowd for s in p.samples]


def run_phase(name: str, server: Server, demo: Demo, users: int, seconds: float, think: float) -> Phase:
    phase = Phase(name, think, people(users, demo, server.base))
    print(f"{name}: {users} users for {seconds:.0f} s …", flush=True)
    before: list[float] = []  # read when the clock starts: sign-ins (scrypt, by design) are not counted
    loaded(phase.crowd, seconds, think, lambda: before.extend((server.cpu_seconds(), time.process_time())))
    phase.server_cpu, phase.driver_cpu = server.cpu_seconds() - before[0], time.process_time() - before[1]
    return phase


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", type=float, default=7.0,
                        help="mean think time of the second phase, seconds (0: closed loop only)")
    parser.add_argument("--single-repeats", type=int, default=5)
    parser.add_argument("--gunicorn", default="", help="more gunicorn options, to compare server settings, given with = "
                        "(e.g. --gunicorn=\"--worker-class gthread --threads 4\")")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    directory = Path(tempfile.mkdtemp(prefix="matchmaker-load-"))
    try:
        print(f"preparing a copy of the demo data in {directory} …", flush=True)
        env = prepare(directory)
        database = directory / "matchmaker.sqlite3"
        demo = read_demo(database)
        with gunicorn(env, args.workers, directory, args.gunicorn.split()) as server:
            print(f"gunicorn -w {args.workers} on {server.base}; single user …", flush=True)
            single = single_user(demo, server.base, args.single_repeats, args.workers)
            phases = [run_phase("closed loop", server, demo, args.users, args.seconds, 0.0)]
            if args.think > 0:
                phases.append(run_phase(f"think time {args.think:g} s", server, demo, args.users, args.seconds,
                                        args.think))
        writes = [w for phase in phases for p in phase.crowd for w in p.writes] + _single_writes
        lost = lost_writes(database, writes)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    single_errors = [s for s in single if not s.ok]
    lines: list[str] = []
    failed = bool(lost or single_errors)
    for phase in phases:
        load = phase.samples
        errors = [s for s in load if not s.ok]
        failed = failed or bool(errors)
        table_lines, worst = table(load, single, args.seconds)
        reads_ok = all(worst.get(c, 0) < READ_TARGET_MS for c in ("read", "search", "ranking"))
        writes_ok = worst.get("write", 0) < WRITE_TARGET_MS
        shown = f" ({', '.join(sorted({e.detail for e in errors})[:5])})" if errors else ""
        pause = ("no think time: each user sends its next request as soon as the answer arrives" if not phase.think
                 else f"think time: negative exponential pauses, mean {phase.think:g} s, at most {10 * phase.think:g} s")
        lines += [f"### {phase.name} ({pause})", ""] + table_lines + [
            (f"CPU: server {phase.server_cpu * 1e3 / max(len(load), 1):.1f} ms per request (all gunicorn workers, "
            f"{phase.server_cpu:.1f} s in {args.seconds:.0f} s); driver {phase.driver_cpu:.1f} s on the same cores."),
            f"Errors: {len(errors)}{shown}.",
            (f"Targets (p95 of every kind): reads < {READ_TARGET_MS:.0f} ms {'met' if reads_ok else 'MISSED'}; "
             f"writes < {WRITE_TARGET_MS:.0f} ms {'met' if writes_ok else 'MISSED'}; 0 errors "
             f"{'met' if not errors else 'MISSED'}."), ""]
    lines += [f"Single-user errors: {len(single_errors)}.",
              (f"Acknowledged writes (all phases): {len(writes)}; lost: {len(lost)} "
              f"(0 lost writes {'met' if not lost else 'MISSED'}).")]
    header = (f"{dt.date.today().isoformat()}, {os.cpu_count()} cores, gunicorn -w {args.workers} "
              f"{args.gunicorn or '(sync)'} on SQLite, "
              f"{args.users} users for {args.seconds:.0f} s per phase, closed loop then think time, one server; "
              f"the driver runs on the same machine. Single-user figures: the same server, one request at a time, "
              f"before the phases. 1-minute load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f} "
              f"(the driver and the server alone keep it near 2; above that, other work shared the two cores).")
    print("\n" + header + "\n")
    print("\n".join(lines))
    if not args.no_results:
        record(lines, header)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
