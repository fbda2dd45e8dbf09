#!/usr/bin/env bash
# End-to-end CartPole PPO training throughput (issue 19): ArenaGrad's trainer (tools/ArenaGrad.Agents) against its
# PyTorch twin (perf/pytorch/ppo_cartpole.py, numpy environment, one thread), run alternately in one session so both
# see the same machine state: for each round, for each seed, ArenaGrad then PyTorch. Each writes a summary JSON;
# perf/pytorch/ppo_compare.py prints the median steps/s per implementation, each run's solved step and the ratio
# ArenaGrad / PyTorch of the medians (target >= 20x), with the CPU model and the date.
# Usage, from the repository root:
#   bash perf/ppo-throughput.sh [--rounds R] [--seeds "1 2 3"] [--total-steps N]
# Defaults: 3 rounds, seed 1, 500000 steps. A 500k-step PyTorch run takes about 70-80 s on one core.
set -euo pipefail
cd "$(dirname "$0")/.."  # the paths below are relative to the repository root

rounds=3
seeds="1"
total=500000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seeds) seeds="${2//,/ }"; shift 2 ;;
    --total-steps) total="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (expected --rounds R, --seeds \"S ...\", --total-steps N)" >&2; exit 2 ;;
  esac
done

python=/usr/bin/python3  # Debian's interpreter, which has torch and numpy; another python on PATH may not
project=tools/ArenaGrad.Agents
dll="$project/bin/Release/net10.0/ArenaGrad.Agents.dll"
out="$(mktemp -d /tmp/arenagrad-ppo-throughput.XXXXXX)"

echo "building $project (Release) ..."
if ! dotnet build -c Release "$project" > "$out/build.log" 2>&1; then
  echo "error: 'dotnet build -c Release $project' failed; nothing was measured." >&2
  echo "       The ArenaGrad PPO trainer must build first. Last lines of $out/build.log:" >&2
  tail -n 15 "$out/build.log" >&2
  exit 1
fi
if [ ! -f "$dll" ]; then
  echo "error: the build succeeded but $dll is missing; nothing was measured." >&2
  exit 1
fi

echo "output: $out  (rounds $rounds, seeds $seeds, $total steps; load at start: $(cut -d' ' -f1-3 /proc/loadavg))"
files=()
for r in $(seq "$rounds"); do
  dir="$out/round-$r"
  mkdir -p "$dir"
  for s in $seeds; do
    echo "round $r seed $s: ArenaGrad"
    dotnet "$dll" cartpole --seed "$s" --total-steps "$total" --out "$dir" --json "$dir/arenagrad-$s.json" --quiet
    files+=("$dir/arenagrad-$s.json")
    echo "round $r seed $s: PyTorch"
    "$python" perf/pytorch/ppo_cartpole.py --seed "$s" --total-timesteps "$total" --json "$dir/pytorch-$s.json" --quiet
    files+=("$dir/pytorch-$s.json")
  done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$python" perf/pytorch/ppo_compare.py "${files[@]}"
