package org.pacsfs.wal.bench;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the three issue-3 comparisons and prints the ratios. Usage (see BENCHMARKS.md):
 * {@code mvn -B -pl write-log -Pbench test-compile exec:exec}; argument 1 is the directory to write in.
 */
public final class WalBenchmarkMain {
    private WalBenchmarkMain() {
    }

    public static void main(String[] args) throws RunnerException {
        String dir = args.length > 0 ? args[0] : "target/bench";
        int seconds = Integer.getInteger("pacsfs.bench.seconds", 3);
        double walMiB = score(run(dir, seconds, "walAppend1MiB", Mode.Throughput, 1));
        double rawMiB = score(run(dir, seconds, "rawWrite1MiB", Mode.Throughput, 1));
        double rawForced = score(run(dir, seconds, "rawWrite1MiBForceEvery16MiB", Mode.Throughput, 1));
        double one = score(run(dir, seconds, "walAppendSync4KiB", Mode.Throughput, 1));
        double eight = score(run(dir, seconds, "walAppendSync4KiB", Mode.Throughput, 8));
        RunResult walLat = run(dir, seconds, "walAppendSync4KiB", Mode.SampleTime, 1);
        RunResult rawLat = run(dir, seconds, "rawWriteForce4KiB", Mode.SampleTime, 1);
        double walP99 = walLat.getPrimaryResult().getStatistics().getPercentile(99);
        double rawP99 = rawLat.getPrimaryResult().getStatistics().getPercentile(99);
        System.out.printf("%n(a) 1 MiB appends: WAL %.0f MiB/s, raw write %.0f MiB/s, ratio %.2f (target >= 0.80)%n", walMiB, rawMiB, walMiB / rawMiB);
        System.out.printf("    context: raw write with a force every 16 MiB %.0f MiB/s; WAL / that = %.2f%n", rawForced, walMiB / rawForced);
        System.out.printf("(b) 4 KiB append+sync: 1 thread %.0f ops/s, 8 threads %.0f ops/s, ratio %.2f (target >= 4)%n", one, eight, eight / one);
        System.out.printf("(c) 4 KiB append+sync p99 %.1f us, raw write+force p99 %.1f us, ratio %.2f (target <= 1.5)%n",
                walP99, rawP99, walP99 / rawP99);
    }

    private static double score(RunResult r) {
        return r.getPrimaryResult().getScore();
    }

    private static RunResult run(String dir, int seconds, String method, Mode mode, int threads) throws RunnerException {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(WalBenchmark.class.getName() + "\\." + method + "$")
                .mode(mode)
                .threads(threads)
                .forks(1)
                .warmupIterations(2).warmupTime(TimeValue.seconds(2))
                .measurementIterations(3).measurementTime(TimeValue.seconds(seconds))
                .timeUnit(mode == Mode.SampleTime ? TimeUnit.MICROSECONDS : TimeUnit.SECONDS)
                .jvmArgsAppend("-Dpacsfs.bench.dir=" + dir, "-Xmx2g");
        Collection<RunResult> results = new Runner(o.build()).run();
        return results.iterator().next();
    }
}
