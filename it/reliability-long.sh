#!/usr/bin/env bash
# The long run of the reliability suite (docs/RELIABILITY.md, issue 8): the same tests as CI, with long sizes, and a
# summary of the figures each one printed. Run from the repository root:
#
#   it/reliability-long.sh                       # everything, long sizes (several hours on 2 cores: kill -9 is ~20 s a cycle)
#   TESTS=PowerLossIT,LoadIT it/reliability-long.sh   # a subset
#   CRASH_CYCLES=50 LOAD_SECONDS=120 it/reliability-long.sh
#
# Equivalent: mvn -B -pl it -am verify -Preliability-long -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false
# (the profile in it/pom.xml holds the same defaults).
# The tests' CI timeouts (@Timeout) are switched off: long sizes take longer (the waits inside stay bounded).
# The full log goes to target/reliability-long.log; the summary lines start with RELIABILITY, fsx:, s3-, wal-cap:,
# disk-full: or "Tests run".
set -euo pipefail
cd "$(dirname "$0")/.."

TESTS=${TESTS:-KillNineIT,PowerLossIT,LoadIT,FsxIT,S3FaultsIT,ResourceLimitsIT,CorruptionIT,EdgesIT}
CRASH_CYCLES=${CRASH_CYCLES:-200}
CRASH_FULL_CHECK_EVERY=${CRASH_FULL_CHECK_EVERY:-10}
POWER_CUTS=${POWER_CUTS:-100}
LOAD_SECONDS=${LOAD_SECONDS:-300}
FSX_OPS=${FSX_OPS:-20000}
OUTAGE_SECONDS=${OUTAGE_SECONDS:-60}
BIG_DIR=${BIG_DIR:-100000}

mkdir -p target
log=target/reliability-long.log
echo "reliability long run: $TESTS (crash cycles $CRASH_CYCLES, power cuts $POWER_CUTS, load $LOAD_SECONDS s, fsx $FSX_OPS ops," \
     "outage $OUTAGE_SECONDS s, big directory $BIG_DIR entries); started $(date -u +%FT%TZ); load: $(uptime)" | tee "$log"
status=0
mvn -B -pl it -am verify -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
    -Dit.test="$TESTS" -Djunit.jupiter.execution.timeout.mode=disabled \
    -Dpacsfs.it.crashCycles="$CRASH_CYCLES" -Dpacsfs.it.crashFullCheckEvery="$CRASH_FULL_CHECK_EVERY" \
    -Dpacsfs.it.powerCuts="$POWER_CUTS" -Dpacsfs.it.loadSeconds="$LOAD_SECONDS" -Dpacsfs.fsx.ops="$FSX_OPS" \
    -Dpacsfs.it.outageSeconds="$OUTAGE_SECONDS" -Dpacsfs.it.bigDirEntries="$BIG_DIR" >>"$log" 2>&1 || status=$?

echo
echo "=== figures ($(date -u +%FT%TZ); load: $(uptime)) ==="
grep -E '^(RELIABILITY|fsx:|s3-faults:|s3-outage:|wal-cap:|disk-full:)|Tests run:.*in org\.pacsfs|BUILD (SUCCESS|FAILURE)' "$log" | cut -c1-2000 || true
if [ "$status" -ne 0 ]; then
    echo "the long run FAILED (exit $status): see $log and it/target/failsafe-reports/"
fi
exit "$status"
