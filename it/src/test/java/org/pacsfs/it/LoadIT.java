package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * Scenario 8 of docs/RELIABILITY.md: 4 processes x 8 threads ({@link LoadWorker}) write, append, read, list and delete
 * on one real mount over a real S3 server for a while, verifying every byte they read (also bytes other processes
 * wrote). Meanwhile the mount process's resident memory (VmRSS) and open file descriptors are sampled every 2 s:
 * after a warm-up (the first quarter) neither may grow beyond stated bounds, and RSS must stay below a fixed limit.
 * At the end every file on the mount is read back and verified once more. Duration: -Dpacsfs.it.loadSeconds (default
 * 60; the long run uses several minutes).
 */
@WithS3Proxy
@Timeout(3600)
class LoadIT {

    private static final int SECONDS = Integer.getInteger("pacsfs.it.loadSeconds", 60);
    private static final int PROCESSES = 4;
    private static final int THREADS = 8;
    /** -Xmx2g (PacsfsProcess) plus metaspace, thread stacks, direct buffers and the mapped index. */
    static final long RSS_LIMIT = 3L << 30;
    /** Descriptors after warm-up may exceed the warm-up's highest count by this much (cache blocks, S3 connections). */
    static final int FD_SLACK = 200;
    /** RSS after warm-up may exceed the warm-up's highest value by this fraction plus 256 MiB (the heap settling). */
    static final double RSS_GROWTH = 0.5;

    record Sample(long seconds, long rssBytes, int fds, int threads) {
    }

    @Test
    void thirtyTwoThreadsInFourProcessesRunWithoutErrorsInBoundedMemory(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("load");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create");
        try {
            long pid = mount.process.pid();
            List<Process> workers = new ArrayList<>();
            List<Path> outputs = new ArrayList<>();
            for (int p = 0; p < PROCESSES; p++) {
                Path out = work.resolve("worker-" + p + ".log");
                outputs.add(out);
                workers.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp",
                        System.getProperty("java.class.path"), LoadWorker.class.getName(), mnt.toString(), String.valueOf(p),
                        String.valueOf(THREADS), String.valueOf(SECONDS)).redirectErrorStream(true).redirectOutput(out.toFile()).start());
            }
            List<Sample> samples = new ArrayList<>();
            long start = System.nanoTime();
            while (workers.stream().anyMatch(Process::isAlive)) {
                samples.add(sample(pid, (System.nanoTime() - start) / 1_000_000_000L));
                assertThat(mount.process.isAlive()).as("the mount process is alive").isTrue();
                if ((System.nanoTime() - start) / 1_000_000_000L > SECONDS + 600) {
                    workers.forEach(Process::destroyForcibly);
                    throw new AssertionError("the load did not end 10 minutes after its time\n" + mount.log());
                }
                Thread.sleep(2000);
            }
            long ops = 0;
            long written = 0;
            long verified = 0;
            long listed = 0;
            for (int p = 0; p < PROCESSES; p++) {
                workers.get(p).waitFor(10, TimeUnit.SECONDS);
                String out = Files.readString(outputs.get(p), StandardCharsets.UTF_8);
                assertThat(workers.get(p).exitValue()).as("load process %d: %s", p, out).isZero();
                Matcher m = Pattern.compile("RESULT process=\\d+ ops=(\\d+) written=(\\d+) verified=(\\d+) listed=(\\d+) errors=0").matcher(out);
                assertThat(m.find()).as("load process %d reports its result: %s", p, out).isTrue();
                ops += Long.parseLong(m.group(1));
                written += Long.parseLong(m.group(2));
                verified += Long.parseLong(m.group(3));
                listed += Long.parseLong(m.group(4));
            }
            long finalBytes = verifyEverything(mnt);
            checkBounded(samples);
            Sample peak = samples.stream().max((a, b) -> Long.compare(a.rssBytes(), b.rssBytes())).orElseThrow();
            int maxFds = samples.stream().mapToInt(Sample::fds).max().orElse(0);
            System.out.printf("RELIABILITY LoadIT: %d processes x %d threads for %d s, %d operations, %d bytes written, %d bytes read and "
                            + "verified during the load, %d entries listed, %d bytes verified at the end, 0 errors; mount RSS %d MiB at "
                            + "warm-up end, peak %d MiB (at %d s), last %d MiB; open fds max %d, last %d; samples: %s%n",
                    PROCESSES, THREADS, SECONDS, ops, written, verified, listed, finalBytes,
                    samples.get(samples.size() / 4).rssBytes() >> 20, peak.rssBytes() >> 20, peak.seconds(),
                    samples.get(samples.size() - 1).rssBytes() >> 20, maxFds, samples.get(samples.size() - 1).fds(), compact(samples));
            assertThat(ops).as("operations ran").isGreaterThan(1000);
            mount.unmount();
        } finally {
            mount.close();
        }
    }

    /** After the first quarter (warm-up): fds and RSS stay within the bounds stated above. */
    static void checkBounded(List<Sample> samples) {
        assertThat(samples.size()).as("samples taken").isGreaterThanOrEqualTo(8);
        int warm = samples.size() / 4;
        List<Sample> warmUp = samples.subList(0, warm);
        List<Sample> after = samples.subList(warm, samples.size());
        int warmFds = warmUp.stream().mapToInt(Sample::fds).max().orElseThrow();
        long warmRss = warmUp.stream().mapToLong(Sample::rssBytes).max().orElseThrow();
        for (Sample s : after) {
            assertThat(s.fds()).as("open descriptors at %d s (warm-up max %d): %s", s.seconds(), warmFds, compact(samples))
                    .isLessThanOrEqualTo(warmFds + FD_SLACK);
            assertThat(s.rssBytes()).as("RSS at %d s (warm-up max %d MiB): %s", s.seconds(), warmRss >> 20, compact(samples))
                    .isLessThanOrEqualTo(Math.min(RSS_LIMIT, (long) (warmRss * (1 + RSS_GROWTH)) + (256L << 20)));
        }
    }

    private static Sample sample(long pid, long seconds) throws IOException {
        long rss = 0;
        int threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            } else if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            fds = (int) s.count();
        }
        return new Sample(seconds, rss, fds, threads);
    }

    private static String compact(List<Sample> samples) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < samples.size(); i += Math.max(1, samples.size() / 12)) {
            Sample s = samples.get(i);
            sb.append(s.seconds()).append("s:").append(s.rssBytes() >> 20).append("MiB/").append(s.fds()).append("fd/")
                    .append(s.threads()).append("thr ");
        }
        return sb.toString().trim();
    }

    /** Reads every file on the mount once more and checks its pattern (and a study file's size). */
    private static long verifyEverything(Path mnt) throws IOException {
        long total = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(mnt)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path p : files) {
            String name = p.getFileName().toString();
            assertThat(name).as("no temporary file is left: %s", p).doesNotStartWith(".tmp-");
            byte[] got = Files.readAllBytes(p);
            if (name.startsWith("IM-")) {
                assertThat((long) got.length).as("size of %s", p).isEqualTo(Long.parseLong(name.substring(name.lastIndexOf('-') + 1,
                        name.length() - 4)));
            }
            assertThat(got).as("bytes of %s", p).isEqualTo(LoadWorker.pattern(name, 0, got.length));
            total += got.length;
        }
        return total;
    }
}
