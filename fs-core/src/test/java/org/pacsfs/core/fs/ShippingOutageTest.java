package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.lease.Lease;
import org.pacsfs.core.lease.LeaseConfig;
import org.pacsfs.core.lease.LeaseRecord;
import org.pacsfs.core.store.FaultInjectingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectStore;

/**
 * S3 outages and flaky S3 are invisible to the application: writes keep local latency and never fail, the lease
 * is not lost (nor handed to another host) during an outage longer than the lease, and everything arrives in the
 * bucket soon after S3 is back. Real time, kept short: a lease of 2 s renewed every 500 ms.
 */
class ShippingOutageTest {
    static final String PREFIX = "fs1/";
    static final String LEASE_KEY = BucketKeys.under(PREFIX).lease();

    @TempDir
    Path machineA;
    @TempDir
    Path machineB;

    static LeaseConfig shortLease(String host) {
        return new LeaseConfig(Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofMillis(100), Duration.ofSeconds(2), 5, host);
    }

    static Remote remote(ObjectStore store, String host) {
        return Remote.of(store, PREFIX)
                .withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(50)).withBackoff(Duration.ofMillis(5), Duration.ofMillis(250)))
                .withLease(shortLease(host));
    }

    static FsConfig cfg(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(20_000, 200_000);
    }

    /**
     * An application writing at a fixed pace on its own thread: small files (create, write, fsync, close) and
     * appends with fsync to a few growing files. Every operation's latency and every error are recorded; file
     * contents are {@link ShipTestSupport#pattern}s of a per-file id, so the second machine can check each byte.
     */
    static final class Writer implements AutoCloseable {
        final LocalFileSystem fs;
        final String dir;
        final long periodMillis;
        final Map<String, Long> fileIds = new ConcurrentHashMap<>();
        final Map<String, Long> sizes = new ConcurrentHashMap<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicLong maxLatencyNanos = new AtomicLong();
        final AtomicLong ops = new AtomicLong();
        private final Thread thread;
        private volatile boolean stop;

        Writer(LocalFileSystem fs, String dir, long periodMillis, long idBase) throws FsException {
            this.fs = fs;
            this.dir = dir;
            this.periodMillis = periodMillis;
            fs.mkdir(dir, 0755, Caller.ROOT);
            this.thread = new Thread(() -> run(idBase), "writer " + dir);
            thread.start();
        }

        private void run(long idBase) {
            long next = System.nanoTime();
            long id = idBase;
            try {
                while (!stop) {
                    long t0 = System.nanoTime();
                    if (id % 3 == 0) {
                        String path = dir + "/log" + (id % 4);
                        long logId = idBase + 1_000_000 + id % 4;
                        long fh = fileIds.putIfAbsent(path, logId) == null ? fs.create(path, 0644, ShipTestSupport.W, Caller.ROOT)
                                : fs.open(path, OpenFlags.O_WRONLY);
                        long size = fs.getattr(fh).size();
                        int len = 200 + (int) (id % 5000);
                        fs.write(fh, size, ByteBuffer.wrap(ShipTestSupport.pattern(logId, size, len)));
                        fs.fsync(fh, false);
                        fs.release(fh);
                        sizes.put(path, size + len);
                    } else {
                        String path = dir + "/f" + id;
                        int len = 1 + (int) (id * 7919 % 20_000);
                        long fh = fs.create(path, 0644, ShipTestSupport.W, Caller.ROOT);
                        fs.write(fh, 0, ByteBuffer.wrap(ShipTestSupport.pattern(id, 0, len)));
                        fs.fsync(fh, false);
                        fs.release(fh);
                        fileIds.put(path, id);
                        sizes.put(path, (long) len);
                    }
                    long took = System.nanoTime() - t0;
                    maxLatencyNanos.accumulateAndGet(took, Math::max);
                    ops.incrementAndGet();
                    id++;
                    next += periodMillis * 1_000_000;
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    } else {
                        next = System.nanoTime();
                    }
                }
            } catch (Throwable t) {
                errors.add(t);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(30_000);
        }

        /** Every file this writer wrote, complete and with its bytes, on {@code other}. */
        void verifyOn(FileSystem other) throws FsException {
            for (Map.Entry<String, Long> e : fileIds.entrySet()) {
                byte[] data = ShipTestSupport.readAll(other, e.getKey());
                assertThat((long) data.length).as("size of %s", e.getKey()).isEqualTo(sizes.get(e.getKey()));
                assertThat(ShipTestSupport.firstMismatch(e.getValue(), data)).as("first wrong byte of %s", e.getKey()).isEqualTo(-1);
            }
        }
    }

    @Test
    void anOutageLongerThanTheLeaseIsInvisibleToTheApplicationAndShippingCatchesUpAfterIt() throws Exception {
        InMemoryObjectStore backing = new InMemoryObjectStore();
        FaultInjectingObjectStore s3 = FaultInjectingObjectStore.builder(backing).build();
        Duration outage = Duration.ofSeconds(6);
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(s3, "machine-a"));
        Writer writer;
        long outageEnded;
        LeaseRecord before = Lease.read(backing, LEASE_KEY);
        try {
            writer = new Writer(a, "/study", 10, 0);
            Thread.sleep(800);
            a.flushToBucket(Duration.ofSeconds(10));
            long shippedAtOutage = a.shipStatus().shippedLsn();

            s3.setOutage(true);
            Thread.sleep(outage.toMillis());
            LocalFileSystem.ShipStatus during = a.shipStatus();
            assertThat(during.shippedLsn()).as("nothing reaches the bucket during the outage").isEqualTo(shippedAtOutage);
            assertThat(during.lastLsn()).as("the application kept writing during the outage").isGreaterThan(shippedAtOutage + 50);
            assertThat(during.failure()).as("an outage is transient, not a failure").isNull();
            assertThat(s3.injectedFaults().outageRejections()).isPositive();
            s3.setOutage(false);
            outageEnded = System.nanoTime();

            Thread.sleep(700);
            writer.close();
            assertThat(writer.errors).as("errors the application saw").isEmpty();
            assertThat(writer.maxLatencyNanos.get() / 1_000_000).as("slowest write+fsync+close (ms), against an outage of %s", outage)
                    .isLessThan(outage.toMillis() / 3);

            // everything reaches the bucket within a few seconds of S3's return
            long last = a.shipStatus().lastLsn();
            long deadline = outageEnded + Duration.ofSeconds(6).toNanos();
            while (a.shipStatus().shippedLsn() < last && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(a.shipStatus().shippedLsn()).as("shipped %d ms after the outage ended", (System.nanoTime() - outageEnded) / 1_000_000)
                    .isEqualTo(last);
            System.out.printf("outage %s: %d operations, slowest %d ms, all shipped %d ms after the outage, %d retries%n", outage,
                    writer.ops.get(), writer.maxLatencyNanos.get() / 1_000_000, (System.nanoTime() - outageEnded) / 1_000_000,
                    a.shipStatus().retries());

            // the lease outlived the outage: same holder, same epoch, renewed since, and still refused to others
            Thread.sleep(700);
            LeaseRecord after = Lease.read(backing, LEASE_KEY);
            assertThat(after.ownerId()).isEqualTo(before.ownerId());
            assertThat(after.epoch()).isEqualTo(before.epoch());
            assertThat(after.state()).isEqualTo(LeaseRecord.State.HELD);
            assertThat(after.expiresAt()).as("renewed after the outage").isAfter(Instant.now());
            assertThatThrownBy(() -> LocalFileSystem.open(cfg(machineB.resolve("intruder")), remote(backing, "machine-b")))
                    .isInstanceOf(FsException.Io.class).hasMessageContaining("machine-a");
            // and the filesystem still takes writes
            ShipTestSupport.writeFile(a, "/after-outage", ShipTestSupport.pattern(42, 0, 5000), 4096);
            a.syncAll();
        } finally {
            a.close();
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(backing, "machine-b"))) {
            writer.verifyOn(b);
            assertThat(ShipTestSupport.readAll(b, "/after-outage")).isEqualTo(ShipTestSupport.pattern(42, 0, 5000));
        }
    }

    @Test
    void withTwentyPercentTransientErrorsAndLostResponsesEveryByteArrivesAndTheApplicationSeesNoError() throws Exception {
        InMemoryObjectStore backing = new InMemoryObjectStore();
        FaultInjectingObjectStore s3 = FaultInjectingObjectStore.builder(backing).seed(20).transientErrorRate(0.2)
                .lostResponseRate(0.05).build();
        List<Writer> writers = new ArrayList<>();
        byte[] big = ShipTestSupport.pattern(7, 0, 9 << 20);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(s3, "machine-a"))) {
            for (int w = 0; w < 3; w++) {
                writers.add(new Writer(a, "/w" + w, 5, w * 10_000_000L));
            }
            // a large file written sequentially alongside
            ShipTestSupport.writeFile(a, "/big", big, 128 << 10);
            Thread.sleep(4000);
            for (Writer w : writers) {
                w.close();
                assertThat(w.errors).as("errors the application saw").isEmpty();
            }
            a.flushToBucket(Duration.ofSeconds(60));
            LocalFileSystem.ShipStatus st = a.shipStatus();
            assertThat(st.shippedLsn()).isEqualTo(st.lastLsn());
            assertThat(st.failure()).isNull();
            assertThat(st.retries()).as("the flusher met the injected errors").isPositive();
            System.out.printf("flaky S3: %d operations, %s, %d flusher retries%n",
                    writers.stream().mapToLong(w -> w.ops.get()).sum(), s3.injectedFaults(), st.retries());
            // the lease survived (lost responses to renewals included)
            ShipTestSupport.writeFile(a, "/still-writable", new byte[10], 10);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(backing, "machine-b"))) {
            for (Writer w : writers) {
                w.verifyOn(b);
            }
            assertThat(ShipTestSupport.readAll(b, "/big")).isEqualTo(big);
            assertThat(b.getattr("/still-writable").size()).isEqualTo(10);
        }
    }

    /**
     * An unmount that cannot ship everything (drain timeout) keeps the lease, as {@code LocalFileSystem#drain}
     * documents: otherwise another host mounts without --take-over, does not see the changes that are only in this
     * machine's write-log, and commits on top of them.
     */
    @Test
    void anUnmountThatCouldNotShipEverythingKeepsTheLease() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Remote slow = Remote.of(store, PREFIX).withLease(shortLease("machine-a"))
                .withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMinutes(10)).withDrainTimeout(Duration.ZERO));
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), slow);
        ShipTestSupport.writeFile(a, "/only-here", ShipTestSupport.pattern(1, 0, 3000), 3000);
        a.close();
        LeaseRecord lease = Lease.read(store, LEASE_KEY);
        assertThat(lease.state()).as("lease after an unmount that left changes unshipped: %s", lease).isEqualTo(LeaseRecord.State.HELD);
        assertThatThrownBy(() -> LocalFileSystem.open(cfg(machineB), remote(store, "machine-b")).close())
                .as("a second machine mounting without --take-over while machine-a holds unshipped changes")
                .isInstanceOf(FsException.Io.class).hasMessageContaining("machine-a");
    }
}
