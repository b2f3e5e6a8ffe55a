#!/usr/bin/env bash
# Fuzzes each Jazzer @FuzzTest for a bounded time (FUZZ_SECONDS, default 60) and prints the
# executions per target. Run after `mvn verify` (CI: .ci/run), which already replayed every
# saved input as a regression test. Usage: scripts/fuzz.sh [TARGET-SUBSTRING...]
# A crash fails the script; Jazzer saves the input under the target's src/test/resources
# *Inputs/ directory, where it becomes a regression test once committed.
set -uo pipefail
cd "$(dirname "$0")/.."

# module:Class#method, one fuzzing JVM each (Jazzer fuzzes one test per run).
TARGETS=(
  "kexec-core:org.kexecsim.mmu.PageWalkerFuzzTest#anyTablesTranslateOrNameTheAddressOutsideRam"
  "kexec-core:org.kexecsim.mmu.ControlRegisterRulesFuzzTest#anyWriteSequenceKeepsALegalState"
  "kexec-core:org.kexecsim.kimage.IndirectionWalkFuzzTest#anyListReachesDoneOrSaysWhereItBreaks"
  "kexec-core:org.kexecsim.kimage.SegmentRulesFuzzTest#anySegmentsAreAcceptedOrRefusedWithTheKernelsErrno"
  "kexec-core:org.kexecsim.kimage.SegmentRulesFuzzTest#anyCrashkernelValueParsesOrIsRefused"
  "kexec-core:org.kexecsim.dump.ElfCoreReaderFuzzTest#anyFileOpensAsADumpOrNamesTheOffsetThatIsWrong"
  "kexec-core:org.kexecsim.dump.ElfCoreReaderFuzzTest#anyVmcoreinfoTextParsesOrNamesTheLine"
  "kexec-core:org.kexecsim.dump.kdump.KdumpReaderFuzzTest#anyCorruptedKdumpFileOpensOrNamesTheFileAndOffset"
  "relocate-asm-model:org.kexecsim.isa.AssemblerFuzzTest#anyTextAssemblesOrSaysWhereItIsWrong"
  "relocate-asm-model:org.kexecsim.isa.DecoderFuzzTest#anyBytesDecodeToAnInstructionOfAtMost15Bytes"
)

seconds="${FUZZ_SECONDS:-60}"
# A hung input, or a JVM that does not stop, must not eat CI's budget: the whole run of one
# target is cut at twice its fuzzing time plus Maven's start-up.
limit=$((2 * seconds + 180))
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"2[5-9]'; then
  . ./scripts/find-jdk.sh
  export JAVA_HOME
fi
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

logs="$(mktemp -d)"
failed=0
summary=()
for target in "${TARGETS[@]}"; do
  if [ $# -gt 0 ]; then
    match=0
    for want in "$@"; do [[ "$target" == *"$want"* ]] && match=1; done
    [ "$match" = 1 ] || continue
  fi
  module="${target%%:*}"
  test="${target#*:}"
  name="${test##*.}"
  log="$logs/${name//[#]/_}.log"
  echo "fuzz: $name for ${seconds}s (log $log)" >&2
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" timeout --kill-after=30 "$limit" \
    mvn -B -ntp -pl "$module" -am test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
      -Dsurefire.timeout="$limit" >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -n 1)
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    summary+=("$name: HUNG (cut after ${limit}s)")
    failed=1
  elif [ "$status" != 0 ]; then
    crash=$(grep -m1 -E "^== Java Exception|Crashing input|FuzzTestFindingException|Exception:" "$log")
    summary+=("$name: FAILED (${runs:-no runs}): ${crash:-see $log}")
    failed=1
  else
    summary+=("$name: ${runs:-0 runs}, no crash")
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
exit "$failed"
