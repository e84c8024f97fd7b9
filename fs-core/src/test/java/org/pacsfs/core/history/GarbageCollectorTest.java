package org.pacsfs.core.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.PREFIX;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.bytes;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.cfg;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.chunkKeys;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.remote;
import static org.pacsfs.core.history.GarbageCollectorPropertyTest.write;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.history.GarbageCollectorPropertyTest.ManualClock;
import org.pacsfs.core.store.BatchDeleteResult;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;

/** The guards of GC (LastModified, uploads whose segment never came), its resume, and its records as verify reads them. */
class GarbageCollectorTest {
    static final BucketKeys KEYS = BucketKeys.under(PREFIX);

    @TempDir
    Path tmp;

    /** A file written, then overwritten completely 10 days later (its first chunk expires 180 days after that). */
    void overwrittenOnce(ObjectStore store, ManualClock fsClock) throws Exception {
        try (LocalFileSystem fs = LocalFileSystem.open(cfg(Files.createDirectories(tmp.resolve("m")), fsClock), remote(store))) {
            write(fs, "/x", bytes(1, 100_000));
            fs.flushToBucket(Duration.ofSeconds(30));
            fsClock.advance(Duration.ofDays(10));
            write(fs, "/x", bytes(2, 100_000));
            fs.flushToBucket(Duration.ofSeconds(30));
        }
    }

    GarbageCollector gc(ObjectStore store, ManualClock clock, String name) throws Exception {
        Path scratch = Files.createDirectories(tmp.resolve(name));
        return new GarbageCollector(store, PREFIX, scratch, FsConfig.defaults(scratch).withIndexSize(10_000, 100_000),
                Clock.fixed(clock.now(), ZoneOffset.UTC), null);
    }

    /** Puts a chunk object no segment references, with the id time and LastModified of {@code clock} now. */
    static String orphan(InMemoryObjectStore store, ManualClock clock, Random rnd) {
        String key = KEYS.chunk(ChunkId.generate(clock.asClock(), rnd));
        store.put(key, new byte[] {1, 2, 3}, PutCondition.ifNoneMatch());
        return key;
    }

    @Test
    void anUploadWhoseSegmentNeverCameIsRemovedOnlyWhenOlderThanTheRetentionAndAWeek() throws Exception {
        ManualClock clock = new ManualClock();
        InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        overwrittenOnce(store, clock);
        Random rnd = new Random(5);
        String old = orphan(store, clock, rnd);
        store.put(PREFIX + "chunks/zz/not-a-chunk", new byte[1], PutCondition.none());
        clock.advance(Duration.ofDays(200));
        String inFlight = orphan(store, clock, rnd); // a mount's batch whose segment is not committed yet
        GcPlan plan = gc(store, clock, "gc").plan(null);
        assertThat(plan.remove()).extracting(e -> KEYS.chunk(e.id()) + " " + e.reason())
                .contains(old + " NEVER_REFERENCED").noneMatch(s -> s.startsWith(inFlight));
        assertThat(plan.count(GcRecord.Reason.EXPIRED)).isEqualTo(1);
        assertThat(plan.kept().foreign()).isEqualTo(1);
        assertThat(plan.kept().young()).isEqualTo(1);
        gc(store, clock, "gc2").apply(plan, null);
        assertThat(store.head(old)).isEmpty();
        assertThat(store.head(inFlight)).isPresent();
        assertThat(store.head(PREFIX + "chunks/zz/not-a-chunk")).isPresent();
    }

    @Test
    void gcRefusesToGuessTheRetentionWhenTheSettingsWereDeleted() throws Exception {
        ManualClock clock = new ManualClock();
        InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        overwrittenOnce(store, clock);
        store.delete(KEYS.settings()); // e.g. deleted by hand to turn WORM off: 180 days would be a guess
        clock.advance(Duration.ofDays(200));
        long objects = store.list(PREFIX, null, 1000).objects().size();
        assertThatThrownBy(() -> gc(store, clock, "gc").plan(null)).isInstanceOf(GcException.class)
                .hasMessageContaining("are missing").hasMessageContaining("deleted or lost");
        assertThatThrownBy(() -> gc(store, clock, "gc2").plan(Duration.ofDays(190))).isInstanceOf(GcException.class);
        assertThat(store.list(PREFIX, null, 1000).objects()).hasSize((int) objects);
    }

    @Test
    void aChunkTheLogCallsExpiredIsKeptWhileItsLastModifiedIsYoungerThanTheCutoff() throws Exception {
        ManualClock fsClock = new ManualClock();
        ManualClock serverClock = new ManualClock();
        serverClock.advance(Duration.ofDays(100)); // the writer's clock is 100 days behind the server's
        InMemoryObjectStore store = InMemoryObjectStore.builder().clock(serverClock.asClock()).build();
        overwrittenOnce(store, fsClock);
        fsClock.advance(Duration.ofDays(181));
        GcPlan plan = gc(store, fsClock, "gc").plan(null);
        assertThat(plan.baseSeq()).as("by the log's times the overwrite is older than the cutoff").isPositive();
        assertThat(plan.remove()).isEmpty();
        assertThat(plan.kept().young()).isEqualTo(1);
        fsClock.advance(Duration.ofDays(100));
        assertThat(gc(store, fsClock, "gc2").plan(null).count(GcRecord.Reason.EXPIRED)).isEqualTo(1);
    }

    @Test
    void anInterruptedRunIsResumedFromItsPlanAndTheRecordsInTheBucket() throws Exception {
        ManualClock clock = new ManualClock();
        InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        overwrittenOnce(store, clock);
        Random rnd = new Random(7);
        for (int i = 0; i < 2 * GarbageCollector.PART_ENTRIES + 500; i++) {
            orphan(store, clock, rnd);
        }
        clock.advance(Duration.ofDays(400));
        AtomicInteger deletes = new AtomicInteger();
        ObjectStore failing = new ForwardingObjectStore(store) {
            @Override
            public BatchDeleteResult deleteAll(Collection<String> keys) {
                if (deletes.incrementAndGet() == 2) {
                    throw new ObjectStoreException.Permanent(ObjectStoreException.Permanent.Reason.ACCESS_DENIED,
                            "injected: the second batch fails", 403, "AccessDenied", null, null);
                }
                return super.deleteAll(keys);
            }
        };
        GarbageCollector first = gc(failing, clock, "gc");
        GcPlan plan = first.plan(null);
        assertThat(plan.remove()).hasSize(2 * GarbageCollector.PART_ENTRIES + 501);
        Path resume = tmp.resolve("state/gc.plan");
        assertThatThrownBy(() -> first.apply(plan, resume)).isInstanceOf(GcException.class)
                .hasMessageContaining("injected").hasMessageContaining("--resume");
        assertThat(resume).exists();
        assertThat(store.listAll(KEYS.gcPrefix()).count()).as("record parts 0 and 1 written").isEqualTo(2);
        int left = chunkKeys(store).size();

        GarbageCollector.Outcome out = gc(store, clock, "gc2").resume(resume);
        assertThat(out.resumedAt()).isEqualTo(1);
        assertThat(out.removed()).isEqualTo(plan.remove().size());
        assertThat(out.parts()).isEqualTo(3);
        assertThat(resume).doesNotExist();
        assertThat(chunkKeys(store)).hasSize(left - plan.remove().size() + GarbageCollector.PART_ENTRIES);
        assertThat(store.listAll(KEYS.gcPrefix()).count()).isEqualTo(3);
        assertThat(new LogVerifier(store, PREFIX, 2, null).verify(null).problems()).isEmpty();
    }

    @Test
    void aDamagedResumeFileIsRefusedNamingIt() throws Exception {
        ManualClock clock = new ManualClock();
        InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        overwrittenOnce(store, clock);
        Path resume = tmp.resolve("gc.plan");
        Files.write(resume, new byte[] {0x50, 0x47, 0x43, 0x52, 0, 1, 0, 0, 9, 9});
        assertThatThrownBy(() -> gc(store, clock, "gc").resume(resume)).isInstanceOf(GcException.class)
                .hasMessageContaining(resume.toString()).hasMessageContaining("does not verify");
        assertThatThrownBy(() -> gc(store, clock, "gc2").resume(tmp.resolve("none"))).isInstanceOf(GcException.class)
                .hasMessageContaining("no interrupted GC");
    }

    @Test
    void verifyTrustsOnlyGcRecordsThatVerifyAndMatchTheChain() throws Exception {
        ManualClock clock = new ManualClock();
        InMemoryObjectStore store = InMemoryObjectStore.builder().clock(clock.asClock()).build();
        overwrittenOnce(store, clock);
        clock.advance(Duration.ofDays(181));
        GarbageCollector gc = gc(store, clock, "gc");
        GcPlan plan = gc.plan(null);
        gc.apply(plan, null);
        VerifyReport ok = new LogVerifier(store, PREFIX, 2, null).verify(null);
        assertThat(ok.problems()).isEmpty();
        assertThat(ok.expiredChunks()).isEqualTo(1);

        String recordKey = store.listAll(KEYS.gcPrefix()).map(ObjectInfo::key).findFirst().orElseThrow();
        byte[] bytes = store.get(recordKey).bytes();
        bytes[bytes.length / 2] ^= 1;
        store.put(recordKey, bytes, PutCondition.none());
        VerifyReport damaged = new LogVerifier(store, PREFIX, 2, null).verify(null);
        String rel = recordKey.substring(PREFIX.length());
        assertThat(damaged.problems()).extracting(Problem::toString)
                .anySatisfy(p -> assertThat(p).startsWith("GC_RECORD_MISMATCH " + rel).contains("CRC32C"))
                .anySatisfy(p -> assertThat(p).startsWith("CHUNK_MISSING " + KEYS.chunk(plan.remove().get(0).id()).substring(PREFIX.length())));
        assertThat(damaged.expiredChunks()).isZero();

        // A record claiming another base hash is not trusted either.
        GcRecord r = plan.part(0, GarbageCollector.PART_ENTRIES);
        byte[] otherSha = r.baseSha256().clone();
        otherSha[0] ^= 1;
        GcRecord forged = new GcRecord(r.fsId(), r.runId(), r.runStartMs(), 0, r.retentionSeconds(), r.cutoffMs(), r.baseSeq(),
                otherSha, r.headSeq(), r.headSha256(), r.entries());
        store.put(recordKey, forged.encode(), PutCondition.none());
        VerifyReport forgedReport = new LogVerifier(store, PREFIX, 2, null).verify(null);
        assertThat(forgedReport.problems()).extracting(Problem::toString)
                .anySatisfy(p -> assertThat(p).startsWith("GC_RECORD_MISMATCH " + rel).contains("base segment"))
                .anySatisfy(p -> assertThat(p).startsWith("CHUNK_MISSING").contains("does not match the chain"));
        assertThat(forgedReport.expiredChunks()).isZero();
    }

    @Test
    void aRecordRoundTripsAndEveryTruncationIsRefused() {
        GcRecord r = new GcRecord(java.util.UUID.randomUUID(), java.util.UUID.randomUUID(), 1_700_000_000_000L, 3, 86400, 1_699_000_000_000L,
                42, new byte[32], 50, new byte[32], List.of(new GcRecord.Entry(ChunkId.random(), GcRecord.Reason.EXPIRED, 4096),
                new GcRecord.Entry(ChunkId.random(), GcRecord.Reason.NEVER_REFERENCED, 7)));
        byte[] b = r.encode();
        GcRecord back = GcRecord.decode(b, "k");
        assertThat(back.entries()).isEqualTo(r.entries());
        assertThat(back.run()).isEqualTo(r.run());
        assertThat(KEYS.gcRecord(back.run(), back.part())).matches(PREFIX + "gc/\\d{20}-[0-9a-f]{32}/00000003");
        assertThatThrownBy(() -> KEYS.gcRecord("2025", 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'2025'");
        assertThatThrownBy(() -> KEYS.gcRecord(back.run(), -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..99999999");
        for (int len = 0; len < b.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(b, len);
            assertThatThrownBy(() -> GcRecord.decode(cut, "k")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GC record k");
        }
    }
}
