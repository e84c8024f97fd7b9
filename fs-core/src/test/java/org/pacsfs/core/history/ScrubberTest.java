package org.pacsfs.core.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.cache.CacheConfig;
import org.pacsfs.cache.ChunkKey;
import org.pacsfs.cache.DiskBlocks;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.fs.ShipConfig;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.PutCondition;

/**
 * scrub checks chunks like verify and repairs a missing or damaged one from an intact copy in the disk cache of a real
 * filesystem (blocks written by the cache itself when the files were read back), and never uploads anything else.
 */
class ScrubberTest {
    static final String PREFIX = "fs1/";
    static final int FILES = 6;

    @TempDir
    Path state;
    @TempDir
    Path scratch;

    InMemoryObjectStore bucket;
    CountingStore store;
    BucketKeys keys = BucketKeys.under(PREFIX);
    Path diskCache;
    List<ChunkOutcome> outcomes;

    /** Counts PUTs under chunks/: the test's evidence of what was uploaded. */
    static final class CountingStore extends ForwardingObjectStore {
        final AtomicInteger chunkPuts = new AtomicInteger();

        CountingStore(InMemoryObjectStore d) {
            super(d);
        }

        @Override
        public String put(String key, ByteBuffer body, PutCondition condition) {
            if (key.contains("/chunks/")) {
                chunkPuts.incrementAndGet();
            }
            return super.put(key, body, condition);
        }
    }

    /** Several segments (one per flush), each with its own chunk; then a second session reads every file back. */
    @BeforeEach
    void writeAFilesystemAndReadItBack() throws Exception {
        bucket = new InMemoryObjectStore();
        store = new CountingStore(bucket);
        Remote remote = Remote.of(bucket, PREFIX).withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(20))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(100)));
        FsConfig config = FsConfig.defaults(state).withIndexSize(10_000, 100_000)
                .withCache(CacheConfig.defaults().withDisk(64L << 20, 0.0));
        try (LocalFileSystem fs = LocalFileSystem.open(config, remote)) {
            for (int i = 0; i < FILES; i++) {
                long fh = fs.create("/file" + i, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
                fs.write(fh, 0, ByteBuffer.wrap(data(i)));
                fs.release(fh);
                fs.flushToBucket(Duration.ofSeconds(30));
            }
        }
        // A new session has an empty memory tier: reading fetches each chunk from the bucket into the disk tier.
        try (LocalFileSystem fs = LocalFileSystem.open(config, remote)) {
            for (int i = 0; i < FILES; i++) {
                long fh = fs.open("/file" + i, OpenFlags.O_RDONLY);
                ByteBuffer dst = ByteBuffer.allocate(data(i).length);
                fs.read(fh, 0, dst);
                fs.release(fh);
            }
        }
        diskCache = state.resolve("cache");
        outcomes = Collections.synchronizedList(new ArrayList<>());
        assertThat(refs()).allSatisfy(r -> assertThat(DiskBlocks.file(diskCache, key(r))).as("cached block").exists());
        store.chunkPuts.set(0);
    }

    static byte[] data(int i) {
        byte[] b = new byte[150_000 + i];
        new Random(i).nextBytes(b);
        return b;
    }

    Scrubber scrubber(boolean repair, Path stateFile, Scrubber.Listener extra) {
        Scrubber.Listener l = new Scrubber.Listener() {
            @Override
            public void chunk(ChunkOutcome o) {
                outcomes.add(o);
            }

            @Override
            public void segmentDone(long seq, long lastSeq, ScrubTotals totals) {
                if (extra != null) {
                    extra.segmentDone(seq, lastSeq, totals);
                }
            }
        };
        return new Scrubber(store, PREFIX, 3, repair ? diskCache : null, stateFile, Duration.ZERO, l, Clock.systemUTC());
    }

    List<ChunkRef> refs() {
        List<ChunkRef> out = new ArrayList<>();
        for (ObjectInfo o : bucket.listAll(keys.logPrefix()).toList()) {
            out.addAll(LogSegments.decode(bucket.get(o.key()).bytes(), o.key()).chunks());
        }
        return out;
    }

    static ChunkKey key(ChunkRef r) {
        ByteBuffer b = ByteBuffer.wrap(r.id().toBytes());
        return new ChunkKey(b.getLong(0), b.getLong(8));
    }

    String rel(ChunkRef r) {
        return keys.chunk(r.id()).substring(PREFIX.length());
    }

    ChunkOutcome outcomeOf(ChunkRef r) {
        return outcomes.stream().filter(o -> o.key().equals(rel(r))).findFirst().orElseThrow();
    }

    void flipByte(String key, int at) {
        byte[] b = bucket.get(key).bytes();
        b[at] ^= 0x40;
        bucket.put(key, b, PutCondition.none());
    }

    boolean verifies() {
        return new LogVerifier(bucket, PREFIX, 2, null).verify(null).ok();
    }

    @Test
    void anIntactFilesystemScrubsCleanAndUploadsNothing() throws Exception {
        ScrubReport r = scrubber(true, null, null).run(null, false);
        assertThat(r.ok()).isTrue();
        assertThat(r.totals().chunks()).isEqualTo(refs().size()).isEqualTo(r.totals().ok());
        assertThat(r.totals().bytes()).isEqualTo(refs().stream().mapToLong(ChunkRef::storedLength).sum());
        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(ChunkOutcome.Status.OK));
        assertThat(store.chunkPuts).hasValue(0);
    }

    @Test
    void aDamagedChunkIsRepairedFromTheDiskCache() throws Exception {
        ChunkRef victim = refs().get(2);
        String key = keys.chunk(victim.id());
        byte[] original = bucket.get(key).bytes();
        flipByte(key, original.length / 2);
        assertThat(verifies()).isFalse();

        ScrubReport r = scrubber(true, null, null).run(null, false);

        assertThat(outcomeOf(victim).status()).isEqualTo(ChunkOutcome.Status.REPAIRED);
        assertThat(outcomeOf(victim).detail()).contains("damaged").contains("CRC32C").contains("disk cache");
        assertThat(r.totals().repaired()).isEqualTo(1);
        assertThat(r.ok()).isTrue();
        assertThat(bucket.get(key).bytes()).isEqualTo(original);
        assertThat(store.chunkPuts).hasValue(1);
        assertThat(verifies()).isTrue();
    }

    @Test
    void aMissingChunkIsRepairedWithAConditionalPut() throws Exception {
        ChunkRef victim = refs().get(0);
        String key = keys.chunk(victim.id());
        byte[] original = bucket.get(key).bytes();
        bucket.delete(key);

        ScrubReport r = scrubber(true, null, null).run(null, false);

        assertThat(outcomeOf(victim).status()).isEqualTo(ChunkOutcome.Status.REPAIRED);
        assertThat(outcomeOf(victim).detail()).contains("missing");
        assertThat(r.ok()).isTrue();
        assertThat(bucket.get(key).bytes()).isEqualTo(original);
        assertThat(verifies()).isTrue();
    }

    @Test
    void withoutRepairDamageIsReportedAndNothingUploaded() throws Exception {
        ChunkRef victim = refs().get(1);
        bucket.delete(keys.chunk(victim.id()));
        ScrubReport r = scrubber(false, null, null).run(null, false);
        assertThat(outcomeOf(victim).status()).isEqualTo(ChunkOutcome.Status.NOT_REPAIRED);
        assertThat(r.ok()).isFalse();
        assertThat(r.totals().problems()).isEqualTo(1);
        assertThat(store.chunkPuts).hasValue(0);
    }

    @Test
    void withoutAnIntactCopyTheChunkIsUnrepairable() throws Exception {
        ChunkRef gone = refs().get(0);
        ChunkRef damagedCopy = refs().get(1);
        bucket.delete(keys.chunk(gone.id()));
        Files.delete(DiskBlocks.file(diskCache, key(gone)));
        bucket.delete(keys.chunk(damagedCopy.id()));
        Path block = DiskBlocks.file(diskCache, key(damagedCopy));
        byte[] b = Files.readAllBytes(block);
        b[b.length - 10] ^= 1; // the block's own CRC32C no longer matches
        Files.write(block, b);

        ScrubReport r = scrubber(true, null, null).run(null, false);

        assertThat(outcomeOf(gone).status()).isEqualTo(ChunkOutcome.Status.UNREPAIRABLE);
        assertThat(outcomeOf(gone).detail()).contains("missing").contains("no copy in the disk cache");
        assertThat(outcomeOf(damagedCopy).status()).isEqualTo(ChunkOutcome.Status.UNREPAIRABLE);
        assertThat(outcomeOf(damagedCopy).detail()).contains("damaged too");
        assertThat(r.totals().unrepairable()).isEqualTo(2);
        assertThat(r.ok()).isFalse();
        assertThat(store.chunkPuts).hasValue(0);
        assertThat(Files.exists(block)).as("a read-only look: the damaged block is left where it is").isTrue();
    }

    /**
     * A block that verifies by itself (its own CRC32C, written here from the format in docs/FORMAT.md) but does not
     * hold the object the log recorded: never uploaded.
     */
    @Test
    void aCachedCopyThatIsNotTheLoggedObjectIsNeverUploaded() throws Exception {
        ChunkRef victim = refs().get(3);
        String key = keys.chunk(victim.id());
        byte[] wrong = bucket.get(key).bytes();
        wrong[wrong.length - 1] ^= 1;
        bucket.delete(key);
        writeBlock(DiskBlocks.file(diskCache, key(victim)), key(victim), wrong);

        ScrubReport r = scrubber(true, null, null).run(null, false);

        assertThat(outcomeOf(victim).status()).isEqualTo(ChunkOutcome.Status.UNREPAIRABLE);
        assertThat(outcomeOf(victim).detail()).contains("not the object the log recorded").contains("nothing uploaded");
        assertThat(store.chunkPuts).hasValue(0);
        assertThat(bucket.head(key)).isEmpty();
        assertThat(r.totals().unrepairable()).isEqualTo(1);
    }

    static void writeBlock(Path file, ChunkKey key, byte[] payload) throws Exception {
        ByteBuffer h = ByteBuffer.allocate(36);
        h.putInt(0x50434342).putShort((short) 1).putShort((short) 0).putLong(key.hi()).putLong(key.lo());
        h.putInt(payload.length).putInt(crc(payload, payload.length));
        h.putInt(crc(h.array(), 32));
        Files.write(file, ByteBuffer.allocate(36 + payload.length).put(h.array()).put(payload).array());
    }

    static int crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }

    @Test
    void sampleSelectionIsDeterministicAndConsecutiveSeedsPartitionTheChunks() {
        Random random = new Random(7);
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            ids.add(ChunkId.generate(Clock.systemUTC(), random));
        }
        Set<ChunkId> union = new HashSet<>();
        for (long seed = 100; seed < 104; seed++) {
            ScrubSelection s = new ScrubSelection(0.25, seed);
            List<ChunkId> chosen = ids.stream().filter(s::chosen).toList();
            assertThat(ids.stream().filter(new ScrubSelection(0.25, seed)::chosen).toList()).isEqualTo(chosen);
            assertThat(chosen.size()).isBetween(850, 1150);
            for (ChunkId id : chosen) {
                assertThat(union.add(id)).as("chosen by two of four consecutive seeds: " + id).isTrue();
            }
        }
        assertThat(union).hasSize(ids.size());
        assertThatThrownBy(() -> new ScrubSelection(0, 1)).hasMessageContaining("more than 0 and at most 1");
        assertThatThrownBy(() -> new ScrubSelection(1.5, 1)).hasMessageContaining("more than 0 and at most 1");
    }

    @Test
    void aSampledScrubChecksExactlyTheChosenChunks() throws Exception {
        ScrubSelection half = new ScrubSelection(0.5, 3);
        ScrubReport r = scrubber(false, null, null).run(half, false);
        Set<String> expected = new HashSet<>();
        for (ChunkRef ref : refs()) {
            if (half.chosen(ref.id())) {
                expected.add(rel(ref));
            }
        }
        assertThat(outcomes.stream().map(ChunkOutcome::key)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(r.totals().chunks()).isEqualTo(expected.size());
        assertThat(r.selection()).isEqualTo(half);
    }

    @Test
    void anInterruptedScrubResumesAfterTheLastCompletedSegment() throws Exception {
        Path stateFile = scratch.resolve("state/scrub.state");
        ChunkRef late = refs().get(refs().size() - 1);
        bucket.delete(keys.chunk(late.id()));
        Scrubber.Listener interrupt = new Scrubber.Listener() {
            @Override
            public void segmentDone(long seq, long lastSeq, ScrubTotals totals) {
                if (seq == 2) {
                    throw new IllegalStateException("interrupted (test)");
                }
            }
        };
        assertThatThrownBy(() -> scrubber(true, stateFile, interrupt).run(null, false)).hasMessageContaining("interrupted (test)");
        ScrubState saved = ScrubState.load(stateFile).orElseThrow();
        assertThat(saved.lastSeq()).isEqualTo(2);
        int firstPart = outcomes.size();
        assertThat(saved.totals().chunks()).isEqualTo(firstPart).isPositive();

        assertThatThrownBy(() -> scrubber(true, stateFile, null).run(new ScrubSelection(0.5, 1), true))
                .isInstanceOf(ScrubException.class).hasMessageContaining("resume it without");

        outcomes.clear();
        ScrubReport r = scrubber(true, stateFile, null).run(null, true);
        assertThat(r.resumedAfter()).isEqualTo(2);
        assertThat(outcomes).hasSize(refs().size() - firstPart);
        assertThat(r.totals().chunks()).as("totals include the part before the interruption").isEqualTo(refs().size());
        assertThat(outcomeOf(late).status()).isEqualTo(ChunkOutcome.Status.REPAIRED);
        assertThat(r.ok()).isTrue();
        assertThat(stateFile).as("a completed scrub leaves nothing to resume").doesNotExist();
    }

    @Test
    void aDamagedResumeFileIsRefusedNamingIt() throws Exception {
        Path stateFile = scratch.resolve("scrub.state");
        ScrubState s = new ScrubState(java.util.UUID.randomUUID(), ScrubSelection.all(), 3, 0, ScrubTotals.ZERO);
        s.save(stateFile);
        assertThat(ScrubState.load(stateFile)).contains(s);
        assertThatThrownBy(() -> scrubber(false, stateFile, null).run(null, true))
                .isInstanceOf(ScrubException.class).hasMessageContaining("belongs to filesystem");
        byte[] b = Files.readAllBytes(stateFile);
        b[45] ^= 1;
        Files.write(stateFile, b);
        assertThatThrownBy(() -> ScrubState.load(stateFile)).hasMessageContaining("CRC32C").hasMessageContaining(stateFile.toString());
        Files.write(stateFile, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> scrubber(false, stateFile, null).run(null, true))
                .isInstanceOf(ScrubException.class).hasMessageContaining("does not verify");
    }
}
