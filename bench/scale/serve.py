"""gunicorn -w 4 (optionally --preload) on a copy of a database kept by bench.scale.replay: the
time from the command's start to the first ranking page, then PSS and RSS of the master and the
workers after twelve sign-ins and ranking pages.

    python -m bench.scale.serve TREE KEPT_DIR [--preload]
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from . import __main__ as scale


def _kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def main(argv: list[str]) -> int:
    tree, source, preload = Path(argv[0]).resolve(), Path(argv[1]), "--preload" in argv[2:]
    ids = json.loads((source / "ids.txt").read_text())
    run = Path(tempfile.mkdtemp(prefix="matchmaker-serve-"))
    shutil.copy(source / "scale.sqlite3", run / "scale.sqlite3")
    shutil.copytree(source / "instance", run / "instance")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**scale._environment(run), "PYTHONPATH": str(tree), "MATCHMAKER_JOBS": "thread"}
    command = [sys.executable, "-m", "gunicorn", "-w", "4", "--timeout", "120", *(["--preload"] if preload else []),
               "-b", f"127.0.0.1:{port}", "wsgi:app"]
    began = time.monotonic()
    server = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/challenges/{ids['officer_challenge']}"
        form = urllib.parse.urlencode({"email": scale.ACCOUNTS["officer"], "password": scale.PASSWORD}).encode()
        for n in range(12):
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            while True:
                try:
                    opener.open(base + "/login", form, timeout=300).read()
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() - began < 600, "gunicorn did not come up"
                    time.sleep(0.3)
            page = opener.open(url, timeout=300).read()
            if n == 0:
                print(f"first ranking page {time.monotonic() - began:.1f} s after the start "
                      f"({page.count(b'/technologies/')} links)", flush=True)
        workers = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        processes = [server.pid, *workers]
        pss = sum(_kb(p, "Pss:") for p in processes) / 1024
        rss = sum(_kb(p, "Rss:") for p in processes) / 1024
        print(f"{'--preload' if preload else 'no --preload'}: master + {len(workers)} workers PSS {pss:.0f} MB, "
              f"RSS {rss:.0f} MB; workers' PSS {[round(_kb(p, 'Pss:') / 1024) for p in workers]} MB, "
              f"master's {_kb(server.pid, 'Pss:') / 1024:.0f} MB", flush=True)
    finally:
        server.terminate()
        server.wait(60)
        shutil.rmtree(run, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [os.getcwd()]))
