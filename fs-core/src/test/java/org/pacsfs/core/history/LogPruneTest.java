package org.pacsfs.core.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.PREFIX;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.bytes;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.cfg;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.remote;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.write;

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
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.LogBase;
import org.pacsfs.core.fs.FileHistory;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.history.GarbageCollectorPropertyTest.ManualClock;
import org.pacsfs.core.store.BatchDeleteResult;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;

/**
 * gc pruning the metadata log (a log base, then the deletes): what verify, history, point-in-time views and mounts
 * see afterwards, what verify reports when the log after the base or the base itself was tampered with, and the
 * order of operations under a crash, a base that cannot be written and deletes the server refuses.
 */
class LogPruneTest {
    static final BucketKeys KEYS = BucketKeys.under(PREFIX);

    @TempDir
    Path tmp;
    ManualClock clock;
    InMemoryObjectStore store;
    /** The model's files after each flush, by the time of that flush. */
    final List<Map.Entry<Instant, Map<String, byte[]>>> steps = new ArrayList<>();
    final Map<String, byte[]> model = new LinkedHashMap<>();
    /** The log position of the checkpoint the second machine's unmount wrote (where gc will begin the log). */
    long secondCheckpoint;
    int dirs;

    @BeforeEach
    void history() throws Exception {
        clock = new ManualClock();
        store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        try (LocalFileSystem fs = mount("a")) {
            put(fs, "/x", bytes(1, 120_000));
            put(fs, "/y", bytes(2, 50_000));
            flush(fs);
            put(fs, "/x", bytes(3, 90_000));
            flush(fs);
        }
        try (LocalFileSystem fs = mount("b")) {
            put(fs, "/z", bytes(4, 70_000));
            flush(fs);
            fs.unlink("/y");
            model.remove("/y");
            flush(fs);
        }
        secondCheckpoint = segments();
        try (LocalFileSystem fs = mount("a")) {
            put(fs, "/x", bytes(5, 100_000));
            flush(fs);
            put(fs, "/w", bytes(6, 10_000));
            flush(fs);
        }
    }

    LocalFileSystem mount(String machine) throws Exception {
        return LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("machine-" + machine)), clock), remote(store));
    }

    void put(LocalFileSystem fs, String p, byte[] data) throws FsException {
        write(fs, p, data);
        model.put(p, data);
    }

    void flush(LocalFileSystem fs) throws Exception {
        fs.flushToBucket(Duration.ofSeconds(30));
        Map<String, byte[]> copy = new LinkedHashMap<>();
        model.forEach((k, v) -> copy.put(k, v.clone()));
        steps.add(Map.entry(clock.now(), copy));
        clock.advance(Duration.ofDays(10));
    }

    long segments() {
        return store.listAll(KEYS.logPrefix()).count();
    }

    Path dir(String name) throws Exception {
        return Files.createDirectories(tmp.resolve(name + "-" + dirs++));
    }

    GarbageCollector gc(ObjectStore s) throws Exception {
        Path scratch = dir("gc");
        return new GarbageCollector(s, PREFIX, scratch, FsConfig.defaults(scratch).withIndexSize(10_000, 100_000),
                Clock.fixed(clock.now(), ZoneOffset.UTC), null);
    }

    /** Moves the clock to one retention after the second machine's last flush: the log may begin after its checkpoint. */
    void pastTheRetention() {
        Instant lastOfB = steps.get(3).getKey();
        clock.ns.set((lastOfB.getEpochSecond() + Duration.ofDays(180).getSeconds() + 3600) * 1_000_000_000L);
    }

    VerifyReport verify(HeadAnchor anchor) {
        return new LogVerifier(store, PREFIX, 2, null, Clock.fixed(clock.now(), ZoneOffset.UTC)).verify(anchor);
    }

    byte[] readAt(FileHistory h, String p, Instant at) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        h.readAt(p, at, out);
        return out.toByteArray();
    }

    static byte[] readAll(LocalFileSystem fs, String p, int size) throws Exception {
        long fh = fs.open(p, OpenFlags.O_RDONLY);
        ByteBuffer buf = ByteBuffer.allocate(size + 1);
        while (buf.hasRemaining() && fs.read(fh, buf.position(), buf) > 0) {
            // to the end
        }
        fs.release(fh);
        return Arrays.copyOf(buf.array(), buf.position());
    }

    void assertTree(LocalFileSystem fs, Map<String, byte[]> files) throws Exception {
        for (String p : List.of("/x", "/y", "/z", "/w")) {
            if (files.containsKey(p)) {
                assertThat(readAll(fs, p, files.get(p).length)).as(p).isEqualTo(files.get(p));
            } else {
                assertThatThrownBy(() -> fs.open(p, OpenFlags.O_RDONLY)).as(p).isInstanceOf(FsException.NotFound.class);
            }
        }
    }

    LogBase pruned() throws Exception {
        pastTheRetention();
        GarbageCollector gc = gc(store);
        GcPlan plan = gc.plan(null);
        GarbageCollector.Outcome out = gc.apply(plan, null);
        assertThat(out.pruned().failures()).isEmpty();
        return plan.prune().newBase();
    }

    @Test
    void theDryRunCountsTheSegmentsApplyPrunesThemAndVerifyIsClean() throws Exception {
        HeadAnchor anchor = verify(null).head();
        long total = segments();
        long bytesBelow = store.listAll(KEYS.logPrefix()).filter(o -> KEYS.parseLogSeq(o.key()) <= secondCheckpoint)
                .mapToLong(ObjectInfo::size).sum();
        // A checkpoint before the base's that no chain names (a damaged one, say): it goes with the segments.
        String strayManifest = KEYS.checkpoint(1, "full-deadbeef.manifest");
        String strayPart = KEYS.checkpoint(1, "full-deadbeef.part-00000");
        store.put(strayManifest, new byte[40], PutCondition.ifNoneMatch());
        store.put(strayPart, new byte[10], PutCondition.ifNoneMatch());
        pastTheRetention();
        GarbageCollector gc = gc(store);
        GcPlan plan = gc.plan(null);
        LogPrune p = plan.prune();
        assertThat(p.newBase()).as(p.why()).isNotNull();
        assertThat(p.newBase().seq()).isEqualTo(secondCheckpoint + 1);
        assertThat(p.segmentKeys()).hasSize((int) secondCheckpoint);
        assertThat(p.segmentBytes()).isEqualTo(bytesBelow);
        assertThat(p.checkpointKeys()).as("the first machine's checkpoint stays: the base's incremental builds on it")
                .containsExactlyInAnyOrder(strayManifest, strayPart);
        assertThat(p.checkpointBytes()).isEqualTo(50);
        assertThat(segments()).as("a dry run deletes nothing").isEqualTo(total);
        assertThat(store.listAll(KEYS.logBasePrefix()).count()).isZero();

        GarbageCollector.Outcome out = gc.apply(plan, null);
        assertThat(out.pruned().wrote()).isTrue();
        assertThat(out.pruned().segmentsDeleted()).isEqualTo(secondCheckpoint);
        assertThat(out.pruned().bytesDeleted()).isEqualTo(bytesBelow);
        assertThat(segments()).isEqualTo(total - secondCheckpoint);
        assertThat(out.pruned().otherDeleted()).isEqualTo(2);
        for (LogSegments.CheckpointName c : LogSegments.listCheckpoints(store, KEYS)) {
            LogSegments.verifyCheckpoint(store, KEYS, p.newBase().fsId(), c.seq(), c.name()); // whole chains are left
        }

        VerifyReport v = verify(anchor);
        assertThat(v.problems()).isEmpty();
        assertThat(v.logBase()).isEqualTo(p.newBase());
        assertThat(v.segments()).isEqualTo(total - secondCheckpoint);
        assertThat(v.head()).as("the head anchor still checks").isEqualTo(anchor);
        assertThat(v.belowBase()).isZero();

        ScrubReport scrub = new Scrubber(store, PREFIX, 2, null, null, Duration.ofSeconds(1), null, Clock.systemUTC())
                .run(ScrubSelection.all(), false);
        assertThat(scrub.ok()).as("scrub starts at the base: " + scrub).isTrue();

        GcPlan again = gc(store).plan(null);
        assertThat(again.prune().isEmpty()).as("nothing more to prune: " + again.prune().why()).isTrue();
    }

    @Test
    void historyAndPointInTimeViewsMatchTheModelFromTheBasesTimeOnAndRefuseEarlierTimes() throws Exception {
        LogBase base = pruned();
        assertThat(base.time()).isEqualTo(steps.get(3).getKey());
        try (FileHistory h = FileHistory.open(store, PREFIX, cfg(dir("h"), clock))) {
            for (Map.Entry<Instant, Map<String, byte[]>> s : steps.subList(3, steps.size())) {
                for (String p : List.of("/x", "/y", "/z", "/w")) {
                    byte[] expected = s.getValue().get(p);
                    if (expected == null) {
                        assertThatThrownBy(() -> readAt(h, p, s.getKey())).isInstanceOf(FsException.NotFound.class);
                    } else {
                        assertThat(readAt(h, p, s.getKey())).as(p + " as of " + s.getKey()).isEqualTo(expected);
                    }
                }
            }
        }
        try (FileHistory h = FileHistory.open(store, PREFIX, cfg(dir("h"), clock))) {
            assertThatThrownBy(() -> readAt(h, "/x", steps.get(2).getKey())).isInstanceOf(FsException.Invalid.class)
                    .hasMessageContaining("the history before " + base.time() + " was pruned by pacsfs gc");
        }
        try (FileHistory h = FileHistory.open(store, PREFIX, cfg(dir("h"), clock))) {
            List<FileHistory.Version> vs = h.versions("/x");
            assertThat(vs).extracting(FileHistory.Version::operations).first().isEqualTo(FileHistory.BASE_OPERATION);
            assertThat(vs.get(0).time()).isEqualTo(base.time());
            assertThat(vs.get(0).sha256()).as("the state at the base still has its data").isNotEqualTo(FileHistory.DATA_REMOVED);
            assertThat(vs).hasSize(2);
        }
        for (Map.Entry<Instant, Map<String, byte[]>> s : steps.subList(3, steps.size())) {
            try (LocalFileSystem view = LocalFileSystem.openReadOnlyAt(cfg(dir("view"), clock), remote(store), s.getKey())) {
                assertTree(view, s.getValue());
            }
        }
        assertThatThrownBy(() -> LocalFileSystem.openReadOnlyAt(cfg(dir("view"), clock), remote(store), steps.get(1).getKey()))
                .hasMessageContaining("pruned by pacsfs gc").hasMessageContaining(base.time().toString());
    }

    @Test
    void mountsAfterPruningSeeTheSameTreeAlsoWithoutAUsableNewerCheckpoint() throws Exception {
        Map<String, byte[]> last = steps.get(steps.size() - 1).getValue();
        pruned();
        try (LocalFileSystem ro = LocalFileSystem.openReadOnly(cfg(dir("ro"), clock), remote(store))) {
            assertTree(ro, last);
        }
        // Damage every checkpoint after the base's: a mount must rebuild from the base's checkpoint and the log.
        for (LogSegments.CheckpointName c : LogSegments.listCheckpoints(store, KEYS)) {
            if (c.seq() > secondCheckpoint) {
                store.put(KEYS.checkpoint(c.seq(), c.name() + ".manifest"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17},
                        PutCondition.none());
            }
        }
        try (LocalFileSystem fs = LocalFileSystem.open(cfg(dir("fresh-writer"), clock), remote(store))) {
            assertTree(fs, last);
            put(fs, "/v", bytes(7, 1000));
            fs.flushToBucket(Duration.ofSeconds(30));
        }
        try (LocalFileSystem ro = LocalFileSystem.openReadOnly(cfg(dir("ro"), clock), remote(store))) {
            assertThat(readAll(ro, "/v", 1000)).isEqualTo(bytes(7, 1000));
        }
    }

    @Test
    void aLaterRunCountsTheChunksOfTheBasesStateAsReferencedByThePrunedLog() throws Exception {
        pruned();
        clock.advance(Duration.ofDays(60)); // the third machine's overwrite of /x is now older than the retention too
        GarbageCollector gc = gc(store);
        GcPlan plan = gc.plan(null);
        assertThat(plan.prune().current()).isNotNull();
        assertThat(plan.count(GcRecord.Reason.NEVER_REFERENCED)).as("the base state's chunks are not uploads whose segment "
                + "never came").isZero();
        assertThat(plan.count(GcRecord.Reason.EXPIRED)).as("/x as the base's checkpoint had it").isEqualTo(1);
        gc.apply(plan, null);
        Map<String, byte[]> last = steps.get(steps.size() - 1).getValue();
        try (LocalFileSystem ro = LocalFileSystem.openReadOnly(cfg(dir("ro"), clock), remote(store))) {
            assertTree(ro, last);
        }
        assertThat(verify(null).problems()).isEmpty();
    }

    @Test
    void verifyChecksTheChunksOnlyTheBasesStateReferences() throws Exception {
        pruned();
        java.util.Set<String> onlyBase = GarbageCollectorPropertyTest.chunkKeys(store);
        onlyBase.removeAll(GarbageCollectorPropertyTest.chunksOfSegmentsAfter(store, 0));
        assertThat(onlyBase).as("/z and the /x the base's checkpoint holds").hasSize(2);
        VerifyReport clean = verify(null);
        assertThat(clean.problems()).isEmpty();
        assertThat(clean.unreferencedChunks()).isZero();
        String victim = onlyBase.iterator().next();
        store.delete(victim);
        ScrubReport scrub = new Scrubber(store, PREFIX, 2, null, null, Duration.ofSeconds(1), null, Clock.systemUTC())
                .run(ScrubSelection.all(), false);
        assertThat(scrub.ok()).as("scrub checks the base state's chunks too: " + scrub).isFalse();
        assertThat(verify(null).problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Problem.Kind.CHUNK_MISSING);
            assertThat(p.key()).isEqualTo(victim.substring(PREFIX.length()));
            assertThat(p.detail()).contains("in the log base's checkpoint");
        });
    }

    @Test
    void anAnchorAtTheSegmentBeforeTheBaseIsCheckedAgainstTheBasesHash() throws Exception {
        byte[] sha = LogSegments.sha256(store.get(KEYS.logSegment(secondCheckpoint)).bytes());
        HeadAnchor atBase = new HeadAnchor(secondCheckpoint, sha);
        assertThat(verify(atBase).problems()).isEmpty();
        pruned();
        assertThat(store.head(KEYS.logSegment(secondCheckpoint))).isEmpty();
        assertThat(verify(atBase).problems()).as("the pruned segment's hash lives on in the base").isEmpty();
        byte[] other = sha.clone();
        other[0] ^= 1;
        assertThat(verify(new HeadAnchor(secondCheckpoint, other)).problems()).extracting(Problem::kind)
                .containsExactly(Problem.Kind.ANCHOR_MISMATCH);
    }

    @Test
    void theBasesTimeIsTheLatestOfEveryPrunedSegmentWhenWritersClocksWentBack() throws Exception {
        store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        Instant start = clock.now();
        clock.advance(Duration.ofDays(100));
        Instant ahead = clock.now();
        try (LocalFileSystem fs = mount("skew-a")) {
            write(fs, "/p", bytes(8, 1000));
            fs.flushToBucket(Duration.ofSeconds(30));
            clock.ns.set(start.getEpochSecond() * 1_000_000_000L); // this writer's clock was set back 100 days
            write(fs, "/q", bytes(9, 1000));
            fs.flushToBucket(Duration.ofSeconds(30));
        }
        try (LocalFileSystem fs = mount("skew-b")) {
            write(fs, "/r", bytes(10, 1000));
            fs.flushToBucket(Duration.ofSeconds(30));
        }
        clock.ns.set((ahead.getEpochSecond() + Duration.ofDays(181).getSeconds()) * 1_000_000_000L);
        GarbageCollector gc = gc(store);
        GcPlan plan = gc.plan(null);
        LogBase base = plan.prune().newBase();
        assertThat(base).as(plan.prune().why()).isNotNull();
        assertThat(base.seq()).isEqualTo(3);
        assertThat(base.time()).as("not the time of segment 2 alone: segment 1 is later").isEqualTo(ahead);
        gc.apply(plan, null);
        try (FileHistory h = FileHistory.open(store, PREFIX, cfg(dir("h"), clock))) {
            assertThatThrownBy(() -> readAt(h, "/q", ahead.minus(Duration.ofDays(1)))).isInstanceOf(FsException.Invalid.class);
            assertThat(readAt(h, "/p", ahead)).isEqualTo(bytes(8, 1000));
        }
        assertThat(verify(null).problems()).isEmpty();
    }

    @Test
    void verifyNamesASegmentRemovedAboveTheBase() throws Exception {
        LogBase base = pruned();
        store.delete(KEYS.logSegment(base.seq() + 1));
        VerifyReport v = verify(null);
        assertThat(v.problems()).extracting(Problem::kind, Problem::key)
                .contains(org.assertj.core.groups.Tuple.tuple(Problem.Kind.SEGMENT_MISSING, "log/" + String.format("%020d", base.seq() + 1)));
        store.delete(KEYS.logSegment(base.seq()));
        assertThat(verify(null).problems()).extracting(Problem::key).contains("log/" + String.format("%020d", base.seq()));
    }

    @Test
    void verifyNamesAForgedOrDamagedBase() throws Exception {
        LogBase base = pruned();
        String key = KEYS.logBase(base.seq());
        byte[] otherHash = new byte[32];
        store.put(key, new LogBase(base.fsId(), base.seq(), otherHash, base.checkpointName(), base.time(), base.retentionSeconds(),
                base.runStartMs(), base.runId()).encode(), PutCondition.none());
        assertThat(verify(null).problems()).extracting(Problem::kind).containsExactly(Problem.Kind.LOG_BASE_DAMAGED);

        store.put(key, Arrays.copyOf(base.encode(), 30), PutCondition.none());
        assertThat(verify(null).problems()).extracting(Problem::kind).containsExactly(Problem.Kind.LOG_BASE_DAMAGED);

        // A base that prunes history the retention still protects: a later time than now - retention allows.
        store.put(key, new LogBase(base.fsId(), base.seq(), base.prevSha256(), base.checkpointName(), clock.now().minus(Duration.ofDays(1)),
                base.retentionSeconds(), clock.now().toEpochMilli(), base.runId()).encode(), PutCondition.none());
        assertThat(verify(null).problems()).extracting(Problem::kind).containsExactly(Problem.Kind.LOG_BASE_TOO_RECENT);

        store.put(key, base.encode(), PutCondition.none());
        assertThat(verify(null).problems()).isEmpty();
        // A base moved further by someone deleting segments: its checkpoint is not there.
        store.put(KEYS.logBase(base.seq() + 1), new LogBase(base.fsId(), base.seq() + 1, base.prevSha256(), base.checkpointName(),
                base.time(), base.retentionSeconds(), base.runStartMs(), base.runId()).encode(), PutCondition.ifNoneMatch());
        store.delete(KEYS.logSegment(base.seq()));
        assertThat(verify(null).problems()).extracting(Problem::kind).contains(Problem.Kind.LOG_BASE_DAMAGED);
    }

    /** The process dies after the base was written, before any segment was deleted. */
    static final class CrashBeforeLogDeletes extends ForwardingObjectStore {
        final AtomicInteger crashes = new AtomicInteger();

        CrashBeforeLogDeletes(ObjectStore delegate) {
            super(delegate);
        }

        @Override
        public BatchDeleteResult deleteAll(Collection<String> keys) {
            if (keys.stream().anyMatch(k -> k.startsWith(KEYS.logPrefix()))) {
                crashes.incrementAndGet();
                throw new IllegalStateException("simulated crash");
            }
            return super.deleteAll(keys);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aCrashBetweenTheBaseAndTheDeletesLeavesAValidBucketAndARerunFinishes() throws Exception {
        Map<String, byte[]> last = steps.get(steps.size() - 1).getValue();
        long total = segments();
        pastTheRetention();
        CrashBeforeLogDeletes crashing = new CrashBeforeLogDeletes(store);
        GarbageCollector first = gc(crashing);
        GcPlan plan = first.plan(null);
        assertThatThrownBy(() -> first.apply(plan, null)).hasMessageContaining("simulated crash");
        assertThat(crashing.crashes.get()).isEqualTo(1);
        assertThat(store.listAll(KEYS.logBasePrefix()).count()).as("the base was written first").isEqualTo(1);
        assertThat(segments()).isEqualTo(total);

        VerifyReport between = verify(null);
        assertThat(between.problems()).isEmpty();
        assertThat(between.belowBase()).isEqualTo(secondCheckpoint);
        try (LocalFileSystem ro = LocalFileSystem.openReadOnly(cfg(dir("ro"), clock), remote(store))) {
            assertTree(ro, last);
        }

        GcPlan rerun = gc(store).plan(null);
        assertThat(rerun.prune().newBase()).as("the base stays").isNull();
        assertThat(rerun.prune().current()).isEqualTo(plan.prune().newBase());
        assertThat(rerun.prune().segmentKeys()).hasSize((int) secondCheckpoint);
        gc(store).apply(rerun, null);
        assertThat(segments()).isEqualTo(total - secondCheckpoint);
        VerifyReport after = verify(null);
        assertThat(after.problems()).isEmpty();
        assertThat(after.belowBase()).isZero();
    }

    @Test
    void nothingIsPrunedWhenTheBaseCannotBeWritten() throws Exception {
        long total = segments();
        pastTheRetention();
        ObjectStore refusing = new ForwardingObjectStore(store) {
            @Override
            public String put(String key, ByteBuffer body, PutCondition condition) {
                if (key.startsWith(KEYS.logBasePrefix())) {
                    throw new ObjectStoreException.Permanent(ObjectStoreException.Permanent.Reason.ACCESS_DENIED, "no s3:PutObject on logbase/", 403, "AccessDenied", null, null);
                }
                return super.put(key, body, condition);
            }

            @Override
            public void close() {
            }
        };
        GarbageCollector gc = gc(refusing);
        GcPlan plan = gc.plan(null);
        assertThatThrownBy(() -> gc.apply(plan, null)).isInstanceOf(GcException.class).hasMessageContaining("nothing was pruned");
        assertThat(segments()).isEqualTo(total);
        assertThat(LogSegments.listCheckpoints(store, KEYS).stream().anyMatch(c -> c.seq() < secondCheckpoint)).isTrue();
        assertThat(verify(null).problems()).isEmpty();
    }

    @Test
    void deletesTheServerRefusesAreReportedAndRetriedByTheNextRun() throws Exception {
        long total = segments();
        pastTheRetention();
        ObjectStore locked = new ForwardingObjectStore(store) {
            @Override
            public BatchDeleteResult deleteAll(Collection<String> keys) {
                List<BatchDeleteResult.Failure> refused = keys.stream().filter(k -> k.startsWith(KEYS.logPrefix()))
                        .map(k -> new BatchDeleteResult.Failure(k, "AccessDenied", "Object is WORM protected and cannot be overwritten"))
                        .toList();
                BatchDeleteResult rest = super.deleteAll(keys.stream().filter(k -> !k.startsWith(KEYS.logPrefix())).toList());
                return new BatchDeleteResult(rest.deleted(), refused);
            }

            @Override
            public void close() {
            }
        };
        GarbageCollector gc = gc(locked);
        GarbageCollector.Outcome out = gc.apply(gc.plan(null), null);
        assertThat(out.pruned().failures()).hasSize((int) secondCheckpoint);
        assertThat(out.pruned().segmentsDeleted()).isZero();
        assertThat(segments()).isEqualTo(total);
        assertThat(verify(null).problems()).isEmpty();
        gc(store).apply(gc(store).plan(null), null);
        assertThat(segments()).isEqualTo(total - secondCheckpoint);
    }
}
