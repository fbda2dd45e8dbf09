#!/usr/bin/env python3
"""Compares end-to-end CartPole PPO throughput: ArenaGrad's trainer against its PyTorch twin (issue 19).

Reads the summary JSON files both trainers write (tools/ArenaGrad.Agents `--json`, perf/pytorch/ppo_cartpole.py
`--json`), each an object with the fields
    implementation ("arenagrad" or "pytorch"), environment, seed, steps, wallSeconds, stepsPerSecond,
    solvedStep (int or null), episodes, lastMeanReturn,
and prints, per implementation, the median steps/s over all its runs, each run's solved step, and the ratio
ArenaGrad / PyTorch of the medians (the target is >= 20), with the CPU model and the date.

Usage: /usr/bin/python3 perf/pytorch/ppo_compare.py FILE.json [FILE.json ...]
Runs are listed in the order given (perf/ppo-throughput.sh passes them in the order they ran).
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

REQUIRED = ("implementation", "environment", "seed", "steps", "wallSeconds", "stepsPerSecond", "solvedStep",
            "episodes", "lastMeanReturn")
ORDER = ("arenagrad", "pytorch")
TARGET_RATIO = 20.0


def cpu_model():
    """lscpu's model name, as perf/RESULTS.md records it."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (lscpu failed)"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def shown_path(path):
    """The file's name with its folder (perf/ppo-throughput.sh writes round-R/IMPL-S.json)."""
    return os.path.join(os.path.basename(os.path.dirname(os.path.abspath(path))), os.path.basename(path))


def load(paths):
    runs = []
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        missing = [k for k in REQUIRED if k not in run]
        if missing:
            sys.exit(f"{path}: missing field(s) {', '.join(missing)}; expected {', '.join(REQUIRED)}")
        run["_path"] = path
        runs.append(run)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="summary JSON files")
    args = parser.parse_args()
    runs = load(args.files)

    by_impl = {}
    for run in runs:
        by_impl.setdefault(run["implementation"].lower(), []).append(run)
    names = [n for n in ORDER if n in by_impl] + sorted(n for n in by_impl if n not in ORDER)

    print("CartPole-v1 PPO, end to end (env + inference + updates), one thread")
    print(f"CPU: {cpu_model()}")
    print(f"date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
    print()
    print(f"{'implementation':<15}{'runs':>5}{'median steps/s':>16}{'min':>10}{'max':>10}   solved step per run (seed)")
    medians = {}
    for name in names:
        rs = by_impl[name]
        sps = [r["stepsPerSecond"] for r in rs]
        medians[name] = statistics.median(sps)
        solved = "  ".join(
            f"{r['solvedStep'] if r['solvedStep'] is not None else 'never'} ({r['seed']})" for r in rs
        )
        print(f"{name:<15}{len(rs):>5}{medians[name]:>16,.0f}{min(sps):>10,.0f}{max(sps):>10,.0f}   {solved}")
    print()
    print("runs:")
    for run in runs:
        solved = run["solvedStep"] if run["solvedStep"] is not None else "never"
        print(f"  {run['implementation']:<10} seed {run['seed']:<3} {run['steps']:>8} steps {run['wallSeconds']:9.2f} s "
              f"{run['stepsPerSecond']:>10,.0f} steps/s  solved {solved!s:>7}  episodes {run['episodes']:>5}  "
              f"last-20 mean {run['lastMeanReturn']:6.1f}  ({shown_path(run['_path'])})")
    print()
    if "arenagrad" in medians and "pytorch" in medians:
        ratio = medians["arenagrad"] / medians["pytorch"]
        verdict = "meets" if ratio >= TARGET_RATIO else "below"
        print(f"ratio ArenaGrad / PyTorch (medians): {ratio:.1f}x  ({verdict} the target of >= {TARGET_RATIO:.0f}x)")
    else:
        print("ratio: needs runs of both arenagrad and pytorch")
    unsolved = [r for r in runs if r["solvedStep"] is None]
    if unsolved:
        print(f"warning: {len(unsolved)} run(s) never reached a last-20 mean of 475")


if __name__ == "__main__":
    main()
