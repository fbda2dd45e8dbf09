#!/usr/bin/env bash
# Steps per second of the main job (tools/ArenaGrad.Train) under the JIT and under NativeAOT for x86-64-v3 and x86-64-v4,
# in alternating runs (so that machine noise falls on all three alike), with medians and same-run ratios; and the
# parameters' SHA-256 of every run, which must be one value (the same bits on every build).
#
#   perf/aot-vs-jit.sh [ROUNDS=5] [STEPS=6000]
#
# Needs clang, lld and zlib1g-dev (NativeAOT's linker). The v4 build runs only on a CPU with AVX-512; elsewhere it is
# skipped and said so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-5}
steps=${2:-6000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

dotnet build tools/ArenaGrad.Train -c Release > "$out/build.log"
tools/aot/publish-pair.sh tools/ArenaGrad.Train "$out/aot" > "$out/publish.log"
jit=(dotnet tools/ArenaGrad.Train/bin/Release/net10.0/ArenaGrad.Train.dll)
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has_v4=1
for f in avx512f avx512bw avx512cd avx512dq avx512vl; do [[ " $flags " == *" $f "* ]] || has_v4=0; done
builds=(jit aot-v3)
(( has_v4 )) && builds+=(aot-v4) || echo "no AVX-512 on this CPU: the x86-64-v4 build is not run"

value() { awk -F'│|\\|' -v row="$2" 'index($2, " " row) == 1 { v = $3; gsub(/^ +| +$|,/, "", v); print v; exit }' "$1"; }
declare -A rates
hashes=()
for ((r = 1; r <= rounds; r++)); do
    for b in "${builds[@]}"; do
        case $b in
            jit) cmd=("${jit[@]}") ;;
            aot-v3) cmd=("$out/aot/v3/ArenaGrad.Train") ;;
            aot-v4) cmd=("$out/aot/v4/ArenaGrad.Train") ;;
        esac
        "${cmd[@]}" --steps "$steps" --out "$out/run" > "$out/log"
        rate=$(value "$out/log" "steps per second")
        rates[$b]+="$rate "
        hashes+=("$(value "$out/log" "parameters SHA-256")")
        echo "round $r $b: $rate steps/s"
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "== $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $rounds rounds of $steps steps, medians:"
jit_median=$(echo "${rates[jit]}" | median)
for b in "${builds[@]}"; do
    m=$(echo "${rates[$b]}" | median)
    echo "$b: $m steps/s ($(awk -v a="$m" -v b="$jit_median" 'BEGIN { printf "%.2f", a / b }')x the JIT; runs: ${rates[$b]})"
done
distinct=$(printf '%s\n' "${hashes[@]}" | sort -u | wc -l)
echo "parameters SHA-256: $(printf '%s\n' "${hashes[@]}" | sort -u | tr '\n' ' ')($distinct distinct over ${#hashes[@]} runs)"
(( distinct == 1 )) || { echo "the builds trained to different parameters"; exit 1; }
