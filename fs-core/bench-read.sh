#!/usr/bin/env bash
# Read benchmark of issue 6 (see cache/BENCHMARKS.md): compiles fs-core and its tests offline,
# then runs ReadBenchmarkMain with the JVM flags of the root pom (pacsfs.jvm.flags, needed by Chronicle Map).
# Extra arguments go to the JVM, e.g.  fs-core/bench-read.sh -Dread.mib=512 -Dread.reps=3
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -B -o -q -pl fs-core -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/read-bench.classpath
flags="$(sed -n 's:.*<pacsfs.jvm.flags>\(.*\)</pacsfs.jvm.flags>.*:\1:p' pom.xml)"
cd fs-core
# shellcheck disable=SC2086
exec java $flags -Xmx2g -Dpacsfs.s3proxy.jar=target/s3proxy/s3proxy.jar "$@" \
    -cp "target/test-classes:target/classes:$(cat target/read-bench.classpath)" \
    org.pacsfs.core.fs.bench.ReadBenchmarkMain
