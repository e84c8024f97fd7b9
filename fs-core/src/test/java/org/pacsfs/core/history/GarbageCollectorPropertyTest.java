package org.pacsfs.core.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FileHistory;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.fs.ShipConfig;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;

/**
 * GC against a reference model: a random history (creates, writes, overwrites, truncates, unlinks, renames over other
 * files) with a clock that moves days between operations, then GC at a random time. Afterwards every state at or after
 * the retention cutoff reads back exactly through the history API and through a fresh read-only mount, and the chunk
 * objects left are exactly those that reading those states fetched plus those of the segments after the cutoff:
 * everything expired is gone, nothing needed is. verify passes and counts the removed chunks as expired.
 */
class GarbageCollectorPropertyTest {
    static final String PREFIX = "fs/";
    static final List<String> PATHS = List.of("/a", "/b", "/d/c");
    static final Duration RETENTION = Duration.ofDays(180);
    static final Instant START = Instant.parse("2025-01-01T00:00:00Z");

    /** The model's files after one step, and where the log stood then. */
    record Step(Instant at, Map<String, byte[]> files, long segments) {
    }

    /** A clock for the filesystem (ns), the store (LastModified) and GC alike. */
    static final class ManualClock {
        final AtomicLong ns = new AtomicLong(START.getEpochSecond() * 1_000_000_000L);

        Instant now() {
            return Instant.ofEpochSecond(0, ns.get());
        }

        void advance(Duration d) {
            ns.addAndGet(d.toNanos());
        }

        Clock asClock() {
            return new Clock() {
                @Override
                public java.time.ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }

                @Override
                public Instant instant() {
                    return now();
                }
            };
        }
    }

    /** Remembers which chunk objects were read. */
    static final class Recording extends ForwardingObjectStore {
        final Set<String> chunkGets = ConcurrentHashMap.newKeySet();

        Recording(ObjectStore delegate) {
            super(delegate);
        }

        @Override
        public ObjectData get(String key) {
            if (key.startsWith(PREFIX + "chunks/")) {
                chunkGets.add(key);
            }
            return super.get(key);
        }

        @Override
        public void close() {
            // the delegate stays open for the test
        }
    }

    static FsConfig cfg(Path dir, ManualClock clock) {
        FsConfig c = FsConfig.defaults(dir).withIndexSize(10_000, 100_000);
        return new FsConfig(c.stateDirectory(), c.capacityBytes(), c.expectedFiles(), c.maxFiles(), c.rootUid(), c.rootGid(),
                c.rootMode(), c.pathCacheEntries(), c.walTuning(), clock.ns::get, c.cache());
    }

    static Remote remote(ObjectStore store) {
        return Remote.of(store, PREFIX).withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(5))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(100)));
    }

    @Property(tries = 6, edgeCases = EdgeCasesMode.NONE)
    void everyRetainedVersionReadsBackExactlyAndEverythingExpiredIsGone(@ForAll @LongRange(min = 1, max = 1_000_000) long seed,
                                                                         @ForAll @IntRange(min = 0, max = 13) int cutAfter)
            throws Exception {
        Path tmp = Files.createTempDirectory("pacsfs-gc-prop");
        try {
            check(tmp, seed, 14, cutAfter);
        } finally {
            deleteRecursively(tmp);
        }
    }

    /** A history that surely expires something: a file overwritten completely, another removed, long ago. */
    @Example
    void overwrittenAndDeletedDataIsRemovedAfterTheRetention() throws Exception {
        Path tmp = Files.createTempDirectory("pacsfs-gc-ex");
        try {
            ManualClock clock = new ManualClock();
            InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
            try (LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("m")), clock), remote(store))) {
                write(fs, "/x", bytes(1, 300_000));
                write(fs, "/y", bytes(2, 200_000));
                fs.flushToBucket(Duration.ofSeconds(30));
                clock.advance(Duration.ofDays(10));
                fs.truncate("/x", 0);
                write(fs, "/x", bytes(3, 300_000));
                fs.unlink("/y");
                fs.flushToBucket(Duration.ofSeconds(30));
            }
            long before = chunkKeys(store).size();
            clock.advance(Duration.ofDays(179));
            GcPlan early = gc(store, tmp.resolve("gc1"), clock).plan(null);
            assertThat(early.remove()).as("nothing is older than the retention yet").isEmpty();
            clock.advance(Duration.ofDays(2));
            GarbageCollector gc = gc(store, tmp.resolve("gc2"), clock);
            GcPlan plan = gc.plan(null);
            assertThat(chunkKeys(store)).as("planning (a dry run) changes nothing").hasSize((int) before);
            assertThat(plan.count(GcRecord.Reason.EXPIRED)).as("the chunk of the first /x and /y").isGreaterThanOrEqualTo(1);
            GarbageCollector.Outcome out = gc.apply(plan, tmp.resolve("gc.resume"));
            assertThat(out.removed()).isEqualTo(plan.remove().size());
            assertThat(tmp.resolve("gc.resume")).doesNotExist();
            assertThat(chunkKeys(store)).hasSize((int) (before - out.removed()));
            try (FileHistory h = FileHistory.open(store, PREFIX, cfg(Files.createDirectories(tmp.resolve("h")), clock))) {
                ByteArrayOutputStream now = new ByteArrayOutputStream();
                h.readAt("/x", clock.now(), now);
                assertThat(now.toByteArray()).isEqualTo(bytes(3, 300_000));
            }
            try (FileHistory h = FileHistory.open(store, PREFIX, cfg(Files.createDirectories(tmp.resolve("h2")), clock))) {
                assertThatThrownBy(() -> h.readAt("/y", START.plusSeconds(1), new ByteArrayOutputStream()))
                        .hasMessageContaining("no longer in the bucket");
            }
            try (FileHistory h = FileHistory.open(store, PREFIX, cfg(Files.createDirectories(tmp.resolve("h3")), clock))) {
                List<FileHistory.Version> vs = h.versions("/x");
                assertThat(vs.get(0).sha256()).isEqualTo(FileHistory.DATA_REMOVED);
                assertThat(vs.get(vs.size() - 1).sha256()).isNotEqualTo(FileHistory.DATA_REMOVED);
            }
            VerifyReport v = new LogVerifier(store, PREFIX, 4, null).verify(null);
            assertThat(v.problems()).isEmpty();
            assertThat(v.expiredChunks()).isEqualTo(plan.count(GcRecord.Reason.EXPIRED));
            ScrubReport scrub = new Scrubber(store, PREFIX, 2, null, null, Duration.ofSeconds(1), null, Clock.systemUTC())
                    .run(ScrubSelection.all(), false);
            assertThat(scrub.ok()).as("scrub does not count expired chunks as missing: " + scrub).isTrue();
        } finally {
            deleteRecursively(tmp);
        }
    }

    @Example
    void aRetentionShorterThanTheFilesystemsIsRefusedNamingBoth() throws Exception {
        Path tmp = Files.createTempDirectory("pacsfs-gc-ret");
        try {
            ManualClock clock = new ManualClock();
            InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
            try (LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("m")), clock), remote(store))) {
                write(fs, "/x", bytes(1, 10));
                fs.flushToBucket(Duration.ofSeconds(30));
            }
            assertThatThrownBy(() -> gc(store, tmp.resolve("gc"), clock).plan(Duration.ofDays(30)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("30d").hasMessageContaining("180d");
        } finally {
            deleteRecursively(tmp);
        }
    }

    void check(Path tmp, long seed, int n, int cutAfter) throws Exception {
        Random rnd = new Random(seed);
        ManualClock clock = new ManualClock();
        InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        List<Step> steps = history(tmp, store, clock, rnd, n);
        Set<String> before = chunkKeys(store);

        // GC exactly one retention after step cutAfter: the state after it is the oldest that must stay readable.
        Step cut = steps.get(cutAfter);
        clock.ns.set((cut.at().getEpochSecond() + RETENTION.getSeconds()) * 1_000_000_000L + cut.at().getNano());
        GarbageCollector gc = gc(store, tmp.resolve("gc"), clock);
        GcPlan plan = gc.plan(null);
        assertThat(chunkKeys(store)).as("a dry run changes nothing").isEqualTo(before);
        assertThat(plan.baseSeq()).as("the state as of the cutoff ends with step " + cutAfter).isEqualTo(cut.segments());
        GarbageCollector.Outcome out = gc.apply(plan, tmp.resolve("gc.resume"));
        assertThat(out.failures()).isEmpty();

        // Every retained state reads back exactly; remember what reading them fetched.
        Recording rec = new Recording(store);
        try (FileHistory h = FileHistory.open(rec, PREFIX, cfg(Files.createDirectories(tmp.resolve("history")), clock))) {
            for (Step s : steps.subList(cutAfter, steps.size())) { // one walk forward through the retained states
                for (String p : PATHS) {
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    byte[] expected = s.files().get(p);
                    if (expected == null) {
                        assertThatThrownBy(() -> h.readAt(p, s.at(), got)).isInstanceOf(FsException.NotFound.class);
                    } else {
                        h.readAt(p, s.at(), got);
                        assertThat(got.toByteArray()).as(p + " as of " + s.at()).isEqualTo(expected);
                    }
                }
            }
        }
        readCurrentStateThroughAMount(tmp, rec, clock, steps.get(steps.size() - 1));

        Set<String> expectedLeft = new HashSet<>(rec.chunkGets);
        expectedLeft.addAll(chunksOfSegmentsAfter(store, cut.segments()));
        Set<String> left = chunkKeys(store);
        assertThat(left).as("what is left is exactly what the retained states need").isEqualTo(expectedLeft);
        assertThat(before.size() - left.size()).as("removed").isEqualTo((int) out.removed());
        assertThat(plan.count(GcRecord.Reason.NEVER_REFERENCED)).isZero();

        checkPruned(tmp, store, clock, steps, cutAfter, plan, out);
        VerifyReport v = new LogVerifier(store, PREFIX, 4, null).verify(null);
        assertThat(v.problems()).isEmpty();
        // verify sees the references of the segments it still has and of the log base's state: a removed chunk only
        // pruned segments named is simply not referenced any more.
        Set<String> removed = new HashSet<>(before);
        removed.removeAll(left);
        Set<String> referenced = chunksOfSegmentsAfter(store, 0);
        org.pacsfs.core.bucket.LogBase base = plan.prune().effective();
        if (base != null) {
            BucketKeys keys = BucketKeys.under(PREFIX);
            LogSegments.forEachStateChunk(store, keys, base.fsId(), base.checkpointSeq(), base.checkpointName(),
                    r -> referenced.add(keys.chunk(r.id())), id -> {
                        throw new AssertionError("the base's checkpoint has no ref of chunk " + id);
                    });
        }
        removed.retainAll(referenced);
        assertThat(v.expiredChunks()).isEqualTo(removed.size());
        assertThat(v.logBase()).isEqualTo(plan.prune().effective());
    }

    /**
     * The log was pruned exactly where it may be: at the newest checkpoint at or before the cutoff state (below the
     * head); nothing below the base is left; history before the base's time is refused naming it; every state from the
     * base's time on reads back as the model had it (its data, or for states older than the cutoff, "removed"); and a
     * point-in-time mount at the cutoff sees the model's tree.
     */
    static void checkPruned(Path tmp, ObjectStore store, ManualClock clock, List<Step> steps, int cutAfter, GcPlan plan,
                            GarbageCollector.Outcome out) throws Exception {
        BucketKeys keys = BucketKeys.under(PREFIX);
        long newestUsable = LogSegments.listCheckpoints(store, keys).stream().mapToLong(LogSegments.CheckpointName::seq)
                .filter(c -> c <= plan.baseSeq() && c < plan.headSeq()).max().orElse(0);
        org.pacsfs.core.bucket.LogBase base = plan.prune().newBase();
        assertThat(base == null ? 0 : base.checkpointSeq()).as("the log begins after the newest usable checkpoint").isEqualTo(newestUsable);
        assertThat(out.pruned().failures()).isEmpty();
        if (base == null) {
            return;
        }
        assertThat(store.listAll(keys.logPrefix()).map(o -> keys.parseLogSeq(o.key())).min(Long::compare).orElseThrow())
                .isEqualTo(base.seq());
        assertThat(out.pruned().segmentsDeleted()).isEqualTo(base.seq() - 1);
        try (FileHistory h = FileHistory.open(store, PREFIX, cfg(Files.createDirectories(tmp.resolve("history-base")), clock))) {
            assertThat(h.historyStart()).isEqualTo(base.time());
            assertThatThrownBy(() -> h.readAt(PATHS.get(0), base.time().minusNanos(1), new ByteArrayOutputStream()))
                    .isInstanceOf(FsException.Invalid.class).hasMessageContaining("pruned by pacsfs gc")
                    .hasMessageContaining(base.time().toString());
            for (Step s : steps.subList(0, cutAfter)) {
                if (s.at().isBefore(base.time())) {
                    continue;
                }
                for (String p : PATHS) {
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    byte[] expected = s.files().get(p);
                    try {
                        h.readAt(p, s.at(), got);
                        assertThat(got.toByteArray()).as(p + " as of " + s.at() + " (before the cutoff)").isEqualTo(expected);
                    } catch (FsException.NotFound e) {
                        assertThat(expected).as(p + " as of " + s.at()).isNull();
                    } catch (FsException.Io e) {
                        assertThat(e.getMessage()).contains("no longer in the bucket"); // older than the retention: may be gone
                    }
                }
            }
        }
        Step cut = steps.get(cutAfter);
        try (LocalFileSystem view = LocalFileSystem.openReadOnlyAt(cfg(Files.createDirectories(tmp.resolve("view-at")), clock),
                remote(store), cut.at())) {
            for (String p : PATHS) {
                byte[] expected = cut.files().get(p);
                if (expected == null) {
                    assertThatThrownBy(() -> view.open(p, OpenFlags.O_RDONLY)).isInstanceOf(FsException.NotFound.class);
                    continue;
                }
                long fh = view.open(p, OpenFlags.O_RDONLY);
                ByteBuffer buf = ByteBuffer.allocate(expected.length + 1);
                while (buf.hasRemaining() && view.read(fh, buf.position(), buf) > 0) {
                    // read to the end
                }
                view.release(fh);
                assertThat(Arrays.copyOf(buf.array(), buf.position())).as("mount --at " + cut.at() + " " + p).isEqualTo(expected);
            }
        }
        assertThatThrownBy(() -> LocalFileSystem.openReadOnlyAt(cfg(Files.createDirectories(tmp.resolve("view-early")), clock),
                remote(store), base.time().minusSeconds(1))).hasMessageContaining("pruned by pacsfs gc");
    }

    List<Step> history(Path tmp, InMemoryObjectStore store, ManualClock clock, Random rnd, int n) throws Exception {
        Map<String, byte[]> model = new LinkedHashMap<>();
        List<Step> steps = new ArrayList<>();
        LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("machine-a")), clock), remote(store));
        try {
            fs.mkdir("/d", 0755, Caller.ROOT);
            for (int i = 0; i < n; i++) {
                if (i > 0 && i % 4 == 0) {
                    // a checkpoint at the head (where gc may later begin the log), then another machine carries on
                    fs.close();
                    fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve(i % 8 == 0 ? "machine-a" : "machine-b")), clock),
                            remote(store));
                }
                step(fs, model, rnd);
                fs.flushToBucket(Duration.ofSeconds(30));
                Map<String, byte[]> copy = new LinkedHashMap<>();
                model.forEach((k, v) -> copy.put(k, v.clone()));
                steps.add(new Step(clock.now(), copy, store.listAll(PREFIX + "log/").count()));
                clock.advance(Duration.ofDays(5 + rnd.nextInt(40)).plusSeconds(rnd.nextInt(86_400)));
            }
        } finally {
            fs.close();
        }
        return steps;
    }

    static void step(LocalFileSystem fs, Map<String, byte[]> model, Random rnd) throws FsException {
        String p = PATHS.get(rnd.nextInt(PATHS.size()));
        byte[] s = model.get(p);
        if (s == null) {
            byte[] data = bytes(rnd.nextLong(), 1 + rnd.nextInt(200_000));
            write(fs, p, data);
            model.put(p, data);
            return;
        }
        switch (rnd.nextInt(5)) {
            case 0, 1 -> {
                byte[] data = bytes(rnd.nextLong(), 1 + rnd.nextInt(150_000));
                int off = rnd.nextInt(s.length + 1);
                long fh = fs.open(p, OpenFlags.O_RDWR);
                fs.write(fh, off, ByteBuffer.wrap(data));
                fs.release(fh);
                byte[] now = Arrays.copyOf(s, Math.max(s.length, off + data.length));
                System.arraycopy(data, 0, now, off, data.length);
                model.put(p, now);
            }
            case 2 -> {
                int size = rnd.nextInt(s.length + 1);
                fs.truncate(p, size);
                model.put(p, Arrays.copyOf(s, size));
            }
            case 3 -> {
                String q = PATHS.get(rnd.nextInt(PATHS.size()));
                if (q.equals(p)) {
                    fs.unlink(p);
                    model.remove(p);
                } else {
                    fs.rename(p, q, 0);
                    model.put(q, model.remove(p));
                }
            }
            default -> {
                fs.unlink(p);
                model.remove(p);
            }
        }
    }

    static void write(LocalFileSystem fs, String p, byte[] data) throws FsException {
        long fh = fs.create(p, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(data));
        fs.release(fh);
    }

    static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void readCurrentStateThroughAMount(Path tmp, ObjectStore store, ManualClock clock, Step last) throws Exception {
        try (LocalFileSystem ro = LocalFileSystem.openReadOnly(cfg(Files.createDirectories(tmp.resolve("reader")), clock),
                remote(store))) {
            for (Map.Entry<String, byte[]> f : last.files().entrySet()) {
                long fh = ro.open(f.getKey(), OpenFlags.O_RDONLY);
                ByteBuffer buf = ByteBuffer.allocate(f.getValue().length + 1);
                while (buf.hasRemaining() && ro.read(fh, buf.position(), buf) > 0) {
                    // read to the end
                }
                ro.release(fh);
                assertThat(Arrays.copyOf(buf.array(), buf.position())).as("mounted " + f.getKey()).isEqualTo(f.getValue());
            }
        }
    }

    static GarbageCollector gc(ObjectStore store, Path scratch, ManualClock clock) throws Exception {
        return new GarbageCollector(store, PREFIX, Files.createDirectories(scratch), FsConfig.defaults(scratch).withIndexSize(10_000, 100_000),
                Clock.fixed(clock.now(), ZoneOffset.UTC), null);
    }

    static Set<String> chunkKeys(ObjectStore store) {
        return store.listAll(PREFIX + "chunks/").map(ObjectInfo::key).collect(Collectors.toSet());
    }

    static Set<String> chunksOfSegmentsAfter(ObjectStore store, long seq) {
        BucketKeys keys = BucketKeys.under(PREFIX);
        Set<String> out = new HashSet<>();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.logPrefix())::iterator) {
            if (keys.parseLogSeq(o.key()) > seq) {
                for (ChunkRef r : LogSegments.decode(store.get(o.key()).bytes(), o.key()).chunks()) {
                    out.add(keys.chunk(r.id()));
                }
            }
        }
        return out;
    }

    static void deleteRecursively(Path dir) throws java.io.IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
