package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.FaultInjectingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectStore;

/**
 * Durability {@code remote}: fsync returns only once the file's data and its log segment are committed in the
 * bucket. The flush delay is 10 minutes, so nothing but the fsync can have shipped; each test checks the bucket
 * itself (segments decoded, chunks read and verified) and a second machine that sees only the bucket: the first is
 * stopped like a killed process, its local write-log out of reach, and the second takes the lease over.
 */
class RemoteDurabilityTest {
    static final String PREFIX = "fs1/";

    @TempDir
    Path machineA;
    @TempDir
    Path machineB;

    static FsConfig cfg(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(20_000, 200_000);
    }

    static Remote remote(ObjectStore store, ShipConfig.Durability durability) {
        return Remote.of(store, PREFIX).withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMinutes(10))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(200)).withDurability(durability));
    }

    /** A second machine: fresh state directory, taking the lease over from the "crashed" first. */
    private LocalFileSystem secondMachine(ObjectStore store) throws FsException {
        return LocalFileSystem.open(cfg(machineB), remote(store, ShipConfig.Durability.LOCAL).withTakeOver(true));
    }

    @Test
    void fsyncReturnsOnlyOnceTheFileIsCommittedInTheBucket() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store, ShipConfig.Durability.REMOTE));
        byte[] data = ShipTestSupport.pattern(1, 0, 300_000);
        long fh = a.create("/study.dcm", 0644, ShipTestSupport.W, Caller.ROOT);
        for (int off = 0; off < data.length; off += 65536) {
            a.write(fh, off, ByteBuffer.wrap(data, off, Math.min(65536, data.length - off)));
        }
        long written = a.shipStatus().lastLsn();
        assertThat(a.shipStatus().shippedLsn()).as("nothing shipped before the fsync (flush delay 10 min)").isLessThan(written);
        a.fsync(fh, false);
        assertThat(a.shipStatus().shippedLsn()).as("shipped LSN when fsync returned").isGreaterThanOrEqualTo(written);
        long ino = a.getattr(fh).ino();
        a.release(fh);

        // the bucket alone holds the bytes, while machine A is still mounted
        ShipTestSupport.LogInspector log = new ShipTestSupport.LogInspector(store, PREFIX);
        assertThat(log.check()).isPositive();
        assertThat(log.fileFromLog(ino)).as("the file as the bucket's log and chunks describe it").isEqualTo(data);

        // written but not fsynced: no promise, and nothing forces it out
        ShipTestSupport.writeFile(a, "/unsynced", ShipTestSupport.pattern(2, 0, 1000), 1000);
        a.crashForTesting();
        try (LocalFileSystem b = secondMachine(store)) {
            assertThat(ShipTestSupport.readAll(b, "/study.dcm")).isEqualTo(data);
        }
    }

    @Test
    void appendsWithFsyncEachReachTheBucketBeforeFsyncReturns() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store, ShipConfig.Durability.REMOTE));
        ShipTestSupport.LogInspector log = new ShipTestSupport.LogInspector(store, PREFIX);
        long fh = a.create("/log", 0644, ShipTestSupport.W, Caller.ROOT);
        long ino = a.getattr(fh).ino();
        long size = 0;
        for (int i = 0; i < 30; i++) {
            int len = 100 + i * 997 % 9000;
            a.write(fh, size, ByteBuffer.wrap(ShipTestSupport.pattern(5, size, len)));
            size += len;
            a.fsync(fh, true);
            log.check();
            assertThat(log.fileFromLog(ino)).as("bucket's view after fsync of append %d", i).isEqualTo(ShipTestSupport.pattern(5, 0, (int) size));
        }
        a.release(fh);
        a.crashForTesting();
        try (LocalFileSystem b = secondMachine(store)) {
            assertThat(ShipTestSupport.readAll(b, "/log")).isEqualTo(ShipTestSupport.pattern(5, 0, (int) size));
        }
    }

    @Test
    void aRenameMadeDurableWithFsyncOfTheDirectoryIsInTheBucket() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store, ShipConfig.Durability.REMOTE));
        a.mkdir("/incoming", 0755, Caller.ROOT);
        a.mkdir("/archive", 0755, Caller.ROOT);
        long fh = a.create("/incoming/x.tmp", 0644, ShipTestSupport.W, Caller.ROOT);
        a.write(fh, 0, ByteBuffer.wrap(ShipTestSupport.pattern(9, 0, 7000)));
        a.fsync(fh, false);
        a.release(fh);
        a.rename("/incoming/x.tmp", "/archive/x.dcm", 0);
        long dh = a.opendir("/archive");
        a.fsyncdir(dh, false);
        a.releasedir(dh);
        a.crashForTesting();
        try (LocalFileSystem b = secondMachine(store)) {
            assertThat(ShipTestSupport.readAll(b, "/archive/x.dcm")).isEqualTo(ShipTestSupport.pattern(9, 0, 7000));
            assertThatThrownBy(() -> b.getattr("/incoming/x.tmp")).isInstanceOf(FsException.NotFound.class);
        }
    }

    @Test
    void concurrentFsyncsEachWaitForTheirOwnCommit() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store, ShipConfig.Durability.REMOTE));
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int tt = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 15; i++) {
                        long id = tt * 1000L + i;
                        long before = a.shipStatus().lastLsn();
                        long fh = a.create("/t" + id, 0644, ShipTestSupport.W, Caller.ROOT);
                        a.write(fh, 0, ByteBuffer.wrap(ShipTestSupport.pattern(id, 0, 2000 + i * 100)));
                        a.fsync(fh, false);
                        // this file's records come after `before` (create, then the write)
                        assertThat(a.shipStatus().shippedLsn()).isGreaterThanOrEqualTo(before + 2);
                        a.release(fh);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
        }
        System.out.printf("60 create+write+fsync (durability remote, 4 threads, in-memory store): %d ms%n", (System.nanoTime() - start) / 1_000_000);
        assertThat(errors).isEmpty();
        a.crashForTesting();
        try (LocalFileSystem b = secondMachine(store)) {
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < 15; i++) {
                    long id = t * 1000L + i;
                    assertThat(ShipTestSupport.readAll(b, "/t" + id)).as("file %d", id).isEqualTo(ShipTestSupport.pattern(id, 0, 2000 + i * 100));
                }
            }
        }
    }

    @Test
    void withDurabilityLocalFsyncDoesNotWaitForTheBucket() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store, ShipConfig.Durability.LOCAL))) {
            long fh = a.create("/f", 0644, ShipTestSupport.W, Caller.ROOT);
            a.write(fh, 0, ByteBuffer.wrap(new byte[5000]));
            a.fsync(fh, false);
            a.release(fh);
            LocalFileSystem.ShipStatus st = a.shipStatus();
            assertThat(st.shippedLsn()).as("durability local, flush delay 10 min: nothing shipped yet").isLessThan(st.lastLsn());
        }
    }

    @Test
    void anFsyncThatCannotReachTheBucketFailsAfterTheDrainTimeoutAndTheDataIsShippedLater() throws Exception {
        InMemoryObjectStore backing = new InMemoryObjectStore();
        FaultInjectingObjectStore s3 = FaultInjectingObjectStore.builder(backing).build();
        Remote r = remote(s3, ShipConfig.Durability.REMOTE);
        r = r.withShip(r.ship().withDrainTimeout(Duration.ofSeconds(1)));
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), r)) {
            long fh = a.create("/f", 0644, ShipTestSupport.W, Caller.ROOT);
            a.write(fh, 0, ByteBuffer.wrap(ShipTestSupport.pattern(3, 0, 4000)));
            s3.setOutage(true);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> a.fsync(fh, false)).isInstanceOf(FsException.Io.class).hasMessageContaining("local write-log");
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertThat(waited).as("ms fsync waited for the bucket (drain timeout 1 s)").isBetween(900L, 5000L);
            s3.setOutage(false);
            a.fsync(fh, false);
            assertThat(a.shipStatus().shippedLsn()).isEqualTo(a.shipStatus().lastLsn());
            a.release(fh);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(backing, ShipConfig.Durability.LOCAL))) {
            assertThat(ShipTestSupport.readAll(b, "/f")).isEqualTo(ShipTestSupport.pattern(3, 0, 4000));
        }
    }
}
