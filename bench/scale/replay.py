"""A fresh worker after 1,000 edits since the last refit, for two source trees in the same run.

    python -m bench.scale.replay --size S --trees /path/to/base,/path/to/this [--rounds 2] [--keep DIR]

Builds one database of the given size through the models (bench.scale's generator), runs
`matchmaker rescore`, makes 1,000 technology edits through the models (no job worker runs, so no
snapshot covers them), then, for each round and each tree in turn, copies that database and its
engine state afresh (a worker's snapshot from an earlier run must not help a later one) and starts
a fresh process with the tree first on the path, until its first ranking page answers: wall
seconds, CPU seconds (user + system of the process: imports, mapping the state, catching up on the
1,000 changes, the page), HTTP status, ranked links, RSS and PSS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import __main__ as scale

_STEP = r'''
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.scale import __main__ as scale
step = sys.argv[2]
if step == "build":
    print(json.dumps(scale.build(scale._environment(Path(sys.argv[3])), int(sys.argv[4]), int(sys.argv[5]))))
else:
    print(f"{scale.edit(scale._environment(Path(sys.argv[3])), 1_000):.1f}")
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="S", choices=sorted(scale.SIZES))
    parser.add_argument("--trees", required=True, help="comma-separated source trees, measured in this order each round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="reuse (or leave) the built database here")
    args = parser.parse_args(argv)
    trees = [Path(t).resolve() for t in args.trees.split(",")]
    issues, technologies = scale.SIZES[args.size]
    directory = args.keep or Path(tempfile.mkdtemp(prefix=f"matchmaker-replay-{args.size}-"))
    directory.mkdir(parents=True, exist_ok=True)
    env = scale._environment(directory)
    ids_file = directory / "ids.txt"
    try:
        if not ids_file.exists():
            scale._matchmaker(env, "init-db")
            scale._matchmaker(env, "seed", "--reference-only")
            ids = subprocess.run([sys.executable, "-c", _STEP, str(scale.ROOT), "build", str(directory), str(issues),
                                  str(technologies)], env=env, check=True, capture_output=True, text=True).stdout
            print(f"rescore: {scale._matchmaker(env, 'rescore'):.1f} s", flush=True)
            edits = subprocess.run([sys.executable, "-c", _STEP, str(scale.ROOT), "edit", str(directory)], env=env,
                                   check=True, capture_output=True, text=True).stdout.strip()
            print(f"1,000 technology edits through the models: {edits} s", flush=True)
            ids_file.write_text(ids.strip().splitlines()[-1])
        import json

        ids = json.loads(ids_file.read_text())
        url = scale.PAGES[0][2].format(**ids)
        print(f"\n{args.size}: {issues:,} x {technologies:,}; load average {os.getloadavg()[0]:.1f}\n")
        print("| round | tree | wall s | CPU s | HTTP | ranked links | RSS MB | PSS MB |\n|---|---|---:|---:|---:|---:|---:|---:|")
        for round_ in range(1, args.rounds + 1):
            for tree in trees:
                with tempfile.TemporaryDirectory(prefix="matchmaker-replay-run-") as run:
                    copy = Path(run)
                    shutil.copy(directory / "scale.sqlite3", copy / "scale.sqlite3")
                    shutil.copytree(directory / "instance", copy / "instance")
                    run_env = {**scale._environment(copy), "PYTHONPATH": str(tree),
                               "MATCHMAKER_SECRET_KEY": env["MATCHMAKER_SECRET_KEY"]}
                    process = subprocess.Popen([sys.executable, "-c", scale._WORKER, scale.ACCOUNTS["officer"],
                                                scale.PASSWORD, url], cwd=tree, env=run_env, stdin=subprocess.PIPE,
                                               stdout=subprocess.PIPE, text=True)
                    assert process.stdout is not None and process.stdin is not None
                    seconds, cpu, status, ranked, rss, pss = process.stdout.readline().split()
                    process.stdin.close()
                    process.wait(timeout=600)
                    print(f"| {round_} | {tree} | {float(seconds):.1f} | {float(cpu):.2f} | {status} | {ranked} | "
                          f"{int(rss) / 1024:.0f} | {int(pss) / 1024:.0f} |", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
