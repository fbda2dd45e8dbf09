#!/usr/bin/env bash
# Time to the first result and to steady state (tools/ArenaGrad.FirstCall: W1, fresh process each run) for the four
# builds the kernels issue asks about: JIT without and with Arena.WarmUp(step), ReadyToRun without and with it, and
# NativeAOT. Each setting runs RUNS times (default 3) in fresh processes; one line per run.
# Usage, from the repository root: bash perf/first-call.sh [RUNS]   (NativeAOT needs clang, lld and zlib1g-dev)
set -euo pipefail
runs="${1:-3}"
out="$(mktemp -d /tmp/arenagrad-first-call.XXXXXX)"
project=tools/ArenaGrad.FirstCall
echo "building into $out ..."
dotnet publish "$project" -c Release -o "$out/jit" > "$out/jit.log" 2>&1
# ReadyToRun code for AVX2 + FMA machines (x86-64-v3), as a game targeting current PCs would ship it.
dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  "-p:PublishReadyToRunCrossgen2ExtraArgs=--instruction-set:x86-64-v3" -o "$out/r2r" > "$out/r2r.log" 2>&1
aot=yes
dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -o "$out/aot" > "$out/aot.log" 2>&1 || aot=no

summary() {
  # build and mode, first call, steady state, methods compiled by the first call / in the window
  grep -E 'first call|steady state:|compiled' | tr -s ' ' | sed -E 's/ \(median of the last 100 ms\)//; s/methods compiled \(JIT, process-wide\): //' | tr '\n' ' '
  echo
}
run() { local label="$1"; shift; for _ in $(seq "$runs"); do printf '%-28s ' "$label"; "$@" | summary; done; }

run "JIT, no warm-up" "$out/jit/ArenaGrad.FirstCall"
run "JIT, WarmUp(step)" "$out/jit/ArenaGrad.FirstCall" --warmup-step
run "ReadyToRun, no warm-up" "$out/r2r/ArenaGrad.FirstCall"
run "ReadyToRun, WarmUp(step)" "$out/r2r/ArenaGrad.FirstCall" --warmup-step
if [ "$aot" = yes ]; then
  run "NativeAOT, no warm-up" "$out/aot/ArenaGrad.FirstCall"
  run "NativeAOT, WarmUp(step)" "$out/aot/ArenaGrad.FirstCall" --warmup-step
else
  echo "NativeAOT: publish failed (see $out/aot.log; it needs clang, lld and zlib1g-dev)"
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
