#!/usr/bin/env bash
# Publishes a tool twice with NativeAOT, for x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512 F/BW/CD/DQ/VL), and writes a
# launcher that runs the widest build the CPU can run.
#
#   tools/aot/publish-pair.sh tools/ArenaGrad.Train out/aot-pair
#   out/aot-pair/ArenaGrad.Train --steps 1000      # the launcher: picks v4/ArenaGrad.Train or v3/ArenaGrad.Train
#
# Why two builds: NativeAOT compiles Vector512 code only when the target instruction set includes AVX-512, and a binary
# built for x86-64-v4 refuses to start on a CPU without it. Unlike SSE4 or AVX2 over older baselines, AVX-512 cannot be
# taken up at run time by one binary: once the compiler may use EVEX encoding it uses it anywhere, not only behind
# IsSupported checks. Both builds give the same bits (every kernel path does; engine.tests/Determinism).
set -euo pipefail

project=${1:?usage: publish-pair.sh PROJECT_DIR OUT_DIR}
out=${2:?usage: publish-pair.sh PROJECT_DIR OUT_DIR}
name=$(basename "$project")

for level in v3 v4; do
    dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet=x86-64-$level -o "$out/$level"
done

cat > "$out/$name" <<LAUNCHER
#!/bin/sh
# Runs the x86-64-v4 (AVX-512) build of $name where the CPU has every AVX-512 subset it needs, else the x86-64-v3 one.
dir=\$(dirname "\$0")
level=v3
if [ -r /proc/cpuinfo ]; then
    flags=\$(grep -m1 '^flags' /proc/cpuinfo)
    level=v4
    for f in avx512f avx512bw avx512cd avx512dq avx512vl; do
        case " \$flags " in *" \$f "*) ;; *) level=v3 ;; esac
    done
fi
exec "\$dir/\$level/$name" "\$@"
LAUNCHER
chmod +x "$out/$name"
echo "wrote $out/$name (launcher), $out/v3/$name and $out/v4/$name"
