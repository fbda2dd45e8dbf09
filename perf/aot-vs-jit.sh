#!/usr/bin/env bash
# Steps per second of the main job (tools/ArenaGrad.Train) under the JIT and under NativeAOT for x86-64-v3 and x86-64-v4,
# in alternating runs (so that machine noise falls on all three alike), with medians and same-run ratios; and the
# parameters' SHA-256 of every run, which must be one value (the same bits on every build).
#
#   perf/aot-vs-jit.sh [ROUNDS=5] [STEPS=6000]
#
# Steps per second are wall clock, so on a shared machine they also measure who else ran. Each round therefore also
# takes the process's CPU time (user + system) at STEPS and at STEPS/6 steps: the difference over the extra steps is
# CPU time per step, which waiting for a core does not inflate, and which leaves out start-up, the JIT's first
# compilations and the pictures written at the end.
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
# Where the CPU has AVX-512, jit-avx2 is the JIT told not to use it (DOTNET_EnableAVX512=0): what the JIT does on an
# AVX2-only CPU, the one to hold the x86-64-v3 build against.
(( has_v4 )) && builds+=(jit-avx2 aot-v4) || echo "no AVX-512 on this CPU: the x86-64-v4 build is not run"

value() { awk -F'│|\\|' -v row="$2" 'index($2, " " row) == 1 { v = $3; gsub(/^ +| +$|,/, "", v); print v; exit }' "$1"; }
declare -A rates cpu
hashes=()
short_steps=$((steps / 6))
# Runs the command with its output in $out/log and prints its CPU seconds (user + system, all threads).
cpu_seconds() {
    local TIMEFORMAT=%3U+%3S t
    t=$( { time "$@" > "$out/log" 2> "$out/err"; } 2>&1 )
    awk "BEGIN { print $t }"
}
for ((r = 1; r <= rounds; r++)); do
    for b in "${builds[@]}"; do
        case $b in
            jit) cmd=("${jit[@]}") ;;
            jit-avx2) cmd=(env DOTNET_EnableAVX512=0 "${jit[@]}") ;;
            aot-v3) cmd=("$out/aot/v3/ArenaGrad.Train") ;;
            aot-v4) cmd=("$out/aot/v4/ArenaGrad.Train") ;;
        esac
        long=$(cpu_seconds "${cmd[@]}" --steps "$steps" --out "$out/run")
        rate=$(value "$out/log" "steps per second")
        rates[$b]+="$rate "
        hashes+=("$(value "$out/log" "parameters SHA-256")")
        short=$(cpu_seconds "${cmd[@]}" --steps "$short_steps" --out "$out/run")
        per_step=$(awk -v a="$long" -v b="$short" -v n=$((steps - short_steps)) 'BEGIN { printf "%.1f", (a - b) * 1e6 / n }')
        cpu[$b]+="$per_step "
        echo "round $r $b: $rate steps/s, $per_step µs CPU per step"
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "== $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $rounds rounds of $steps steps, medians:"
jit_median=$(echo "${rates[jit]}" | median)
jit_cpu=$(echo "${cpu[jit]}" | median)
for b in "${builds[@]}"; do
    m=$(echo "${rates[$b]}" | median)
    c=$(echo "${cpu[$b]}" | median)
    echo "$b: $m steps/s ($(awk -v a="$m" -v b="$jit_median" 'BEGIN { printf "%.2f", a / b }')x the JIT; runs: ${rates[$b]})"
    echo "$b: $c µs CPU per step ($(awk -v a="$c" -v b="$jit_cpu" 'BEGIN { printf "%.2f", b / a }')x the JIT's speed; runs: ${cpu[$b]})"
done
if (( has_v4 )); then
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
    echo "aot-v3 against jit-avx2 (both on AVX2): $(ratio "$(echo "${rates[aot-v3]}" | median)" "$(echo "${rates[jit-avx2]}" | median)")x steps/s," \
        "$(ratio "$(echo "${cpu[jit-avx2]}" | median)" "$(echo "${cpu[aot-v3]}" | median)")x by CPU per step"
fi
distinct=$(printf '%s\n' "${hashes[@]}" | sort -u | wc -l)
echo "parameters SHA-256: $(printf '%s\n' "${hashes[@]}" | sort -u | tr '\n' ' ')($distinct distinct over ${#hashes[@]} runs)"
(( distinct == 1 )) || { echo "the builds trained to different parameters"; exit 1; }
