package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.PutCondition;

/**
 * Checkpoints are written on schedule while writes never pause, and each one is exactly the state as of its log
 * segment: a fresh machine loading it (plus the later segments) sees the same tree as one replaying the whole log.
 */
class CheckpointUnderLoadTest {
    private static final BucketKeys KEYS = BucketKeys.under("");

    @TempDir
    Path dir;

    private static Remote remote(InMemoryObjectStore store) {
        // small batches: many segments, so captures fall between commits and tails are shipped (and rewritten) often
        return Remote.of(store, "").withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(10))
                .withBatchBytes(256 << 10).withCheckpoints(Duration.ofMillis(200), 3));
    }

    @Test
    void checkpointsAreWrittenUnderContinuousWritesAndEachIsTheStateOfItsSegment() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(CheckpointTest.cfg(dir.resolve("a")), remote(store));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> writers = List.of(
                writer("namespace", stop, failed, () -> {
                    Random r = new Random(11);
                    for (int round = 0; !stop.get(); round++) {
                        CheckpointTest.changes(a, round, r);
                    }
                }),
                writer("append", stop, failed, () -> {
                    // growing files in odd-sized appends: a file's tail is in the write-log at every capture
                    Random r = new Random(12);
                    for (int n = 0; !stop.get(); n++) {
                        long fh = a.create("/growing" + n, 0644, OpenFlags.O_RDWR, Caller.ROOT);
                        long off = 0;
                        while (!stop.get() && off < (2 << 20)) {
                            byte[] b = new byte[1 + r.nextInt(4000)];
                            r.nextBytes(b);
                            off += a.write(fh, off, ByteBuffer.wrap(b));
                            if (r.nextInt(50) == 0) {
                                a.write(fh, r.nextLong(off), ByteBuffer.wrap(new byte[3000])); // an overwrite inside
                            }
                        }
                        a.release(fh);
                    }
                }));
        writers.forEach(Thread::start);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (a.shipStatus().checkpointsCapturedUnshipped() < 4 && System.nanoTime() < deadline && failed.get() == null) {
            Thread.sleep(50);
        }
        LocalFileSystem.ShipStatus atStop = a.shipStatus();
        stop.set(true);
        for (Thread t : writers) {
            t.join();
        }
        assertThat(failed.get()).isNull();
        assertThat(atStop.checkpointsCapturedUnshipped()).as("checkpoints captured while records were waiting to be shipped")
                .isGreaterThanOrEqualTo(4);
        assertThat(atStop.checkpointsWritten()).as("checkpoints written while the writers never paused").isGreaterThanOrEqualTo(3);
        assertThat(atStop.checkpointPauseMaxNanos()).as("writers held back per capture").isLessThan(Duration.ofSeconds(1).toNanos());
        long underLoad = atStop.checkpointSeq();
        System.err.printf("under load: %d checkpoints written, %d captured ahead of shipping, longest hold of the writers %.1f ms%n",
                atStop.checkpointsWritten(), atStop.checkpointsCapturedUnshipped(), atStop.checkpointPauseMaxNanos() / 1e6);

        a.flushToBucket(Duration.ofMinutes(1));
        TreeMap<String, String> expected = CheckpointTest.tree(a);
        long head = a.shipStatus().headSeq();
        InMemoryObjectStore bucketNow = copy(store, k -> !k.startsWith(KEYS.checkpointsPrefix()) || KEYS.parseCheckpointSeq(k) <= underLoad);
        a.crashForTesting();
        assertThat(head).as("segments committed after the last checkpoint taken under load").isGreaterThan(underLoad);

        // the newest checkpoint (taken under load) + the later segments give the writer's tree
        try (LocalFileSystem b = LocalFileSystem.open(CheckpointTest.cfg(dir.resolve("b")), Remote.of(bucketNow, ""))) {
            assertThat(b.recoveryInfo().checkpointSeq()).isEqualTo(underLoad);
            assertThat(b.recoveryInfo().segmentsReplayed()).isEqualTo(head - underLoad);
            assertThat(CheckpointTest.tree(b)).isEqualTo(expected);
        }

        // every checkpoint taken under load is the state as of its segment: the same tree as replaying the log to there
        TreeSet<Long> seqs = new TreeSet<>();
        store.listAll(KEYS.checkpointsPrefix()).map(ObjectInfo::key).filter(k -> k.endsWith(".manifest"))
                .map(KEYS::parseCheckpointSeq).filter(s -> s <= underLoad).forEach(seqs::add);
        assertThat(seqs.size()).isGreaterThanOrEqualTo(3);
        int i = 0;
        for (long s : List.of(seqs.first(), seqs.lower(seqs.last()), seqs.last())) {
            InMemoryObjectStore fromCheckpoint = copy(store, k -> upTo(k, s, true));
            InMemoryObjectStore fromLog = copy(store, k -> upTo(k, s, false));
            try (LocalFileSystem c = LocalFileSystem.open(CheckpointTest.cfg(dir.resolve("c" + i)), Remote.of(fromCheckpoint, ""));
                 LocalFileSystem l = LocalFileSystem.open(CheckpointTest.cfg(dir.resolve("l" + i)), Remote.of(fromLog, ""))) {
                assertThat(c.recoveryInfo().checkpointSeq()).isEqualTo(s);
                assertThat(c.recoveryInfo().segmentsReplayed()).isZero();
                assertThat(l.recoveryInfo().checkpointSeq()).isZero();
                assertThat(CheckpointTest.tree(c)).as("checkpoint %d against the log up to segment %d", s, s).isEqualTo(CheckpointTest.tree(l));
            }
            i++;
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static Thread writer(String name, AtomicBoolean stop, AtomicReference<Throwable> failed, Work work) {
        Thread t = new Thread(() -> {
            try {
                work.run();
            } catch (Throwable e) {
                failed.compareAndSet(null, e);
                stop.set(true);
            }
        }, "writer-" + name);
        t.setDaemon(true);
        return t;
    }

    /** Log segments up to {@code seq}; checkpoints up to {@code seq} if {@code withCheckpoints}; no lease (a new machine). */
    private static boolean upTo(String key, long seq, boolean withCheckpoints) {
        if (key.startsWith(KEYS.logPrefix())) {
            return KEYS.parseLogSeq(key) <= seq;
        }
        if (key.startsWith(KEYS.checkpointsPrefix())) {
            return withCheckpoints && KEYS.parseCheckpointSeq(key) <= seq;
        }
        return true;
    }

    /** A copy of the bucket without the lease (the copy is mounted as by a new machine) and only the keys kept. */
    private static InMemoryObjectStore copy(InMemoryObjectStore from, Predicate<String> keep) {
        InMemoryObjectStore to = new InMemoryObjectStore();
        List<String> keys = new ArrayList<>();
        from.listAll("").map(ObjectInfo::key).filter(k -> !k.equals(KEYS.lease()) && keep.test(k)).forEach(keys::add);
        for (String k : keys) {
            to.put(k, ByteBuffer.wrap(from.get(k).bytes()), PutCondition.none());
        }
        return to;
    }
}
