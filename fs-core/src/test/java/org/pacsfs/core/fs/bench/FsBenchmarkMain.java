package org.pacsfs.core.fs.bench;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the issue-4 cases and their local-disk anchors and prints figures and ratios. Usage (see fs-core/BENCHMARKS.md):
 * {@code mvn -B -q -pl fs-core -am install -DskipTests && mvn -B -pl fs-core -Pbench exec:exec}.
 */
public final class FsBenchmarkMain {
    private FsBenchmarkMain() {
    }

    public static void main(String[] args) throws RunnerException {
        String dir = args.length > 0 ? args[0] : "target/bench";
        int seconds = Integer.getInteger("pacsfs.bench.seconds", 3);
        double create = run(dir, seconds, "createWrite4KiBClose", 1);
        double rawCreate = run(dir, seconds, "rawCreateWrite4KiBClose", 1);
        double seq = run(dir, seconds, "sequentialWrite128KiB", 1) * 128 * 1024 / 1e6;
        double rawSeq = run(dir, seconds, "rawSequentialWrite128KiB", 1) * 128 * 1024 / 1e6;
        double read = run(dir, seconds, "randomRead4KiB", 1);
        double rawRead = run(dir, seconds, "rawRandomRead4KiB", 1);
        System.out.printf("%ncreate + write 4 KiB + close: %.0f files/s (target >= 20000); local disk %.0f/s, ratio %.2f%n", create, rawCreate, create / rawCreate);
        System.out.printf("sequential 128 KiB writes: %.0f MB/s (target >= 500); local disk %.0f MB/s, ratio %.2f%n", seq, rawSeq, seq / rawSeq);
        System.out.printf("random 4 KiB reads: %.0f/s (target >= 100000); local disk %.0f/s, ratio %.2f%n", read, rawRead, read / rawRead);
    }

    private static double run(String dir, int seconds, String method, int threads) throws RunnerException {
        List<String> jvm = new java.util.ArrayList<>(ManagementFactory.getRuntimeMXBean().getInputArguments());
        jvm.add("-Dpacsfs.bench.dir=" + dir);
        jvm.add("-Xmx2g");
        OptionsBuilder o = new OptionsBuilder();
        o.include(FsBenchmark.class.getName() + "\\." + method + "$")
                .threads(threads)
                .forks(1)
                .warmupIterations(2).warmupTime(TimeValue.seconds(2))
                .measurementIterations(3).measurementTime(TimeValue.seconds(seconds))
                .timeUnit(TimeUnit.SECONDS)
                .jvmArgs(jvm.toArray(String[]::new));
        RunResult r = new Runner(o.build()).run().iterator().next();
        return r.getPrimaryResult().getScore();
    }
}
