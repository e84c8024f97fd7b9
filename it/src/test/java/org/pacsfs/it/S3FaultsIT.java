package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.it.faults.FaultProxy;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * S3 misbehaving and S3 gone, met by the real mount and its real HTTP client through {@link FaultProxy}: nothing is
 * lost, no wrong byte is read, the application sees no error and keeps its local latency, and everything reaches the
 * bucket once S3 answers again. Outage length: -Dpacsfs.it.outageSeconds (default 20; the reliability run uses 60).
 */
@WithS3Proxy
@Timeout(900)
class S3FaultsIT {

    private static final int OUTAGE_SECONDS = Integer.getInteger("pacsfs.it.outageSeconds", 20);

    @Test
    void tenPercentFaultsOnEveryRequestLoseNothingAndReadNoWrongByte(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("s3-faults");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Map<String, byte[]> written = new TreeMap<>();
        try (FaultProxy proxy = new FaultProxy(bucket.endpoint())) {
            proxy.faultProbability(0.10);
            proxy.stallMillis(2000);
            try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create",
                    "--endpoint", proxy.endpoint().toString())) {
                Random random = new Random(5);
                for (int i = 0; i < 120; i++) {
                    byte[] data = new byte[random.nextInt(10) == 0 ? 4_500_000 : random.nextInt(400_000)];
                    random.nextBytes(data);
                    String name = "study/IM" + i + ".dcm";
                    writeSynced(mnt.resolve(name), data);
                    written.put(name, data);
                }
                CliErrorsIT.awaitShipped(mnt, Duration.ofMinutes(5));
                assertThat(proxy.injectedTotal()).as("faults were injected (10%% of the writer's requests; at least 3 even in an unlucky run)").isGreaterThanOrEqualTo(3);
                assertThat(mount.log()).contains("retrying");
                mount.unmount();
            }
            // A new machine reading everything back through the same faulty link: truncated bodies, resets and
            // errors on GETs must end in retries and the right bytes, never in other bytes.
            try (PacsfsProcess.Mount reader = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-fresh"),
                    "--endpoint", proxy.endpoint().toString(), "--read-only")) {
                long before = proxy.injectedTotal();
                // 25% while reading: the read-back makes only ~30-40 requests, and at 10% about one run in 30 met no
                // fault at all, which failed the check below without anything being wrong (0.75^35 is about 4e-5).
                proxy.faultProbability(0.25);
                for (Map.Entry<String, byte[]> e : written.entrySet()) {
                    assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue())).as(e.getKey()).isTrue();
                }
                assertThat(proxy.injectedTotal()).as("faults met while reading").isGreaterThan(before);
                reader.unmount();
            }
            System.out.printf("s3-faults: %d files, %d requests, %d faults injected (500 %d, 503 %d, reset %d, stall %d, truncate %d)%n",
                    written.size(), proxy.requests(), proxy.injectedTotal(), proxy.injected(FaultProxy.Fault.ERROR_500),
                    proxy.injected(FaultProxy.Fault.SLOW_DOWN_503), proxy.injected(FaultProxy.Fault.RESET),
                    proxy.injected(FaultProxy.Fault.STALL), proxy.injected(FaultProxy.Fault.TRUNCATE));
        }
    }

    @Test
    void anOutageIsInvisibleToTheApplicationAndEverythingShipsWhenS3Returns(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("s3-outage");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Map<String, byte[]> written = new TreeMap<>();
        try (FaultProxy proxy = new FaultProxy(bucket.endpoint());
             PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create",
                     "--endpoint", proxy.endpoint().toString())) {
            Random random = new Random(9);
            List<Long> before = writeFor(mnt, "before", Duration.ofSeconds(5), random, written);
            proxy.down(true);
            long outageStart = System.nanoTime();
            List<Long> during = writeFor(mnt, "during", Duration.ofSeconds(OUTAGE_SECONDS), random, written);
            // Reads of what is not shipped yet work during the outage.
            for (Map.Entry<String, byte[]> e : written.entrySet()) {
                assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue())).as(e.getKey()).isTrue();
            }
            PacsfsProcess.Result status = PacsfsProcess.run(null, Duration.ofSeconds(60), "status", mnt.toString(), "--json");
            java.util.regex.Matcher retries = java.util.regex.Pattern.compile("\"retries\":(\\d+)").matcher(status.output());
            assertThat(retries.find()).isTrue();
            // Capped exponential backoff (100 ms .. 5 s) for each of at most 16 uploads: a few hundred retries, not a
            // retry every few milliseconds while writers keep notifying the flusher.
            assertThat(Long.parseLong(retries.group(1))).as("retries during the outage").isLessThan(16L * (OUTAGE_SECONDS / 2 + 10));
            assertThat(status.output()).as("the lease stays this mount's during the outage").contains("\"lease\":\"HELD");
            assertThat(status.output()).doesNotContain("\"unshippedRecords\":0,");
            proxy.down(false);
            long back = System.nanoTime();
            CliErrorsIT.awaitShipped(mnt, Duration.ofSeconds(60));
            double shippedAfter = (System.nanoTime() - back) / 1e9;
            assertThat(shippedAfter).as("seconds until everything is in S3 after it returned").isLessThan(30);
            long p99Before = percentile(before, 0.99);
            long p99During = percentile(during, 0.99);
            System.out.printf("s3-outage: %d s outage, %d files written during it; write+fsync p50/p99 before %.1f/%.1f ms, during %.1f/%.1f ms; "
                    + "everything in S3 %.1f s after it returned%n", (System.nanoTime() - outageStart) / 1_000_000_000L, during.size(),
                    percentile(before, 0.5) / 1e6, p99Before / 1e6, percentile(during, 0.5) / 1e6, p99During / 1e6, shippedAfter);
            // Local latency during the outage: no S3 round trip on the write path (generous bound: a shared machine).
            assertThat(p99During).isLessThan(Math.max(10 * p99Before, 250_000_000L));
            mount.unmount();
        }
        // What the bucket holds, read by a new machine without the proxy.
        try (PacsfsProcess.Mount reader = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-fresh"), "--read-only")) {
            for (Map.Entry<String, byte[]> e : written.entrySet()) {
                assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue())).as(e.getKey()).isTrue();
            }
            reader.unmount();
        }
    }

    /** Writes DICOM-sized files with fsync at about 5 MB/s for {@code duration}; returns the latency of each. */
    private static List<Long> writeFor(Path mnt, String dir, Duration duration, Random random, Map<String, byte[]> written) throws Exception {
        Files.createDirectories(mnt.resolve(dir));
        List<Long> latencies = new ArrayList<>();
        long end = System.nanoTime() + duration.toNanos();
        for (int i = 0; System.nanoTime() < end; i++) {
            byte[] data = new byte[256 * 1024 + random.nextInt(256 * 1024)];
            random.nextBytes(data);
            String name = dir + "/IM" + i + ".dcm";
            long t0 = System.nanoTime();
            writeSynced(mnt.resolve(name), data);
            latencies.add(System.nanoTime() - t0);
            written.put(name, data);
            Thread.sleep(80);
        }
        return latencies;
    }

    private static void writeSynced(Path p, byte[] data) throws Exception {
        Files.createDirectories(p.getParent());
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static long percentile(List<Long> values, double q) {
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return v.length == 0 ? 0 : v[Math.min(v.length - 1, (int) Math.floor(q * v.length))];
    }
}
