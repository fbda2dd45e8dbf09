#!/usr/bin/env bash
# Publishes a tool twice with NativeAOT, for x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512 F/BW/CD/DQ/VL), and writes a
# launcher that runs the widest build the CPU can run.
#
#   tools/aot/publish-pair.sh tools/ArenaGrad.Train out/aot-pair
#   out/aot-pair/ArenaGrad.Train --steps 1000      # the launcher: picks v4/ArenaGrad.Train or v3/ArenaGrad.Train
#
# Why two builds: .NET 10's NativeAOT compiler turns only a fixed list of instruction sets beyond the target into
# run-time checks (FMA, BMI, AVX-VNNI and the like over AVX; see ConfigureInstructionSetSupport in dotnet/runtime's
# src/coreclr/tools/Common/InstructionSetHelpers.cs), and AVX-512 is not on it. For x86-64-v3,
# Vector512.IsHardwareAccelerated is a constant false and the binary holds no EVEX instruction; for x86-64-v4, AVX-512
# is required and the binary refuses to start without it ("The required instruction sets are not supported by the
# current CPU"). A NativeAOT binary reads no DOTNET_Enable* settings, so to try the v3 build on an AVX2-only CPU use an
# emulator: qemu-x86_64 -cpu Haswell out/aot-pair/v3/ArenaGrad.Train --steps 100 (the launcher reads the host's
# /proc/cpuinfo, so run the build directly there). Both builds give the same bits (every kernel path does;
# engine.tests/Determinism).
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
