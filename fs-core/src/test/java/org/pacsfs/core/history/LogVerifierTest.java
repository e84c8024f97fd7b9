package org.pacsfs.core.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FsConfig;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.Remote;
import org.pacsfs.core.fs.ShipConfig;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.PutCondition;

/** verify names each kind of damage: removed or modified chunks and segments, broken links, a cut-off head. */
class LogVerifierTest {
    static final String PREFIX = "fs1/";

    @TempDir
    Path state;

    InMemoryObjectStore store;
    BucketKeys keys = BucketKeys.under(PREFIX);

    /** A filesystem of several segments (one per flush), each with its own chunks; closed cleanly. */
    @BeforeEach
    void writeAFilesystem() throws Exception {
        store = new InMemoryObjectStore();
        Remote remote = Remote.of(store, PREFIX).withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(20))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(100)));
        try (LocalFileSystem fs = LocalFileSystem.open(FsConfig.defaults(state).withIndexSize(10_000, 100_000), remote)) {
            for (int i = 0; i < 4; i++) {
                byte[] data = new byte[200_000 + i];
                new Random(i).nextBytes(data);
                long fh = fs.create("/file" + i, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
                fs.write(fh, 0, ByteBuffer.wrap(data));
                fs.release(fh);
                fs.flushToBucket(Duration.ofSeconds(30));
            }
        }
    }

    VerifyReport verify(HeadAnchor anchor) {
        return new LogVerifier(store, PREFIX, 4, null).verify(anchor);
    }

    List<String> segmentKeys() {
        return store.listAll(keys.logPrefix()).map(ObjectInfo::key).toList();
    }

    List<String> chunkKeys() {
        List<String> out = new ArrayList<>();
        for (String seg : segmentKeys()) {
            for (var ref : LogSegments.decode(store.get(seg).bytes(), seg).chunks()) {
                out.add(keys.chunk(ref.id()));
            }
        }
        return out;
    }

    static String rel(String key) {
        return key.substring(PREFIX.length());
    }

    void flipByte(String key, int at) {
        byte[] b = store.get(key).bytes();
        b[at] ^= 0x40;
        store.put(key, b, PutCondition.none());
    }

    @Test
    void anIntactFilesystemVerifiesAndReportsItsHead() {
        VerifyReport r = verify(null);
        assertThat(r.problems()).isEmpty();
        assertThat(r.ok()).isTrue();
        List<String> segs = segmentKeys();
        assertThat(segs.size()).isGreaterThanOrEqualTo(4);
        assertThat(r.segments()).isEqualTo(segs.size());
        assertThat(r.chunks()).isEqualTo(chunkKeys().size()).isGreaterThanOrEqualTo(4);
        String last = segs.get(segs.size() - 1);
        assertThat(r.head()).isEqualTo(new HeadAnchor(segs.size(), LogSegments.sha256(store.get(last).bytes())));
        assertThat(r.checkpoints()).isGreaterThanOrEqualTo(1);
        // The head, recorded and given back, verifies.
        assertThat(verify(r.head()).ok()).isTrue();
    }

    @Test
    void verifyWhileAWriterShipsAndCheckpointsFindsNothingWrong() throws Exception {
        Remote remote = Remote.of(store, PREFIX).withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(5))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(100)).withCheckpoints(Duration.ofMillis(50), 2));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        try (LocalFileSystem fs = LocalFileSystem.open(FsConfig.defaults(state).withIndexSize(10_000, 100_000), remote)) {
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; !stop.get(); i++) {
                        long fh = fs.create("/live" + (i % 7), 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
                        fs.write(fh, 0, ByteBuffer.wrap(new byte[20_000 + i]));
                        fs.release(fh);
                        Thread.sleep(3);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            int segmentsBefore = segmentKeys().size();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int runs = 0;
            // Until the writer has committed several segments (and checkpoints) during the runs.
            while (runs < 3 || segmentKeys().size() < segmentsBefore + 5) {
                VerifyReport r = verify(null);
                assertThat(r.problems()).as("run " + runs).isEmpty();
                runs++;
                assertThat(System.nanoTime()).as("the writer committed nothing while verify ran").isLessThan(deadline);
            }
            stop.set(true);
            writer.join();
        }
        assertThat(verify(null).ok()).isTrue();
    }

    @Test
    void aRemovedChunkIsNamed() {
        String chunk = chunkKeys().get(1);
        store.delete(chunk);
        VerifyReport r = verify(null);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Problem.Kind.CHUNK_MISSING);
            assertThat(p.key()).isEqualTo(rel(chunk));
            assertThat(p.detail()).contains("referenced by log/");
        });
    }

    @Test
    void aModifiedChunkIsNamedWhereverTheChangeIs() {
        List<String> chunks = chunkKeys();
        flipByte(chunks.get(0), 100);   // in the data
        flipByte(chunks.get(2), 5);     // in the header
        byte[] cut = store.get(chunks.get(3)).bytes();
        store.put(chunks.get(3), java.util.Arrays.copyOf(cut, cut.length - 1), PutCondition.none()); // truncated
        VerifyReport r = verify(null);
        assertThat(r.problems()).extracting(Problem::kind).containsOnly(Problem.Kind.CHUNK_DAMAGED);
        assertThat(r.problems()).extracting(Problem::key).containsExactlyInAnyOrder(rel(chunks.get(0)), rel(chunks.get(2)), rel(chunks.get(3)));
        assertThat(r.problems()).filteredOn(p -> p.key().equals(rel(chunks.get(3)))).singleElement()
                .satisfies(p -> assertThat(p.detail()).contains("bytes, the log recorded"));
    }

    @Test
    void aModifiedSegmentIsNamed() {
        String seg = segmentKeys().get(1);
        flipByte(seg, 70);
        VerifyReport r = verify(null);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Problem.Kind.SEGMENT_DAMAGED);
            assertThat(p.key()).isEqualTo(rel(seg));
            assertThat(p.detail()).contains("CRC32C");
        });
        assertThat(r.ok()).isFalse();
    }

    @Test
    void aRemovedSegmentIsNamed() {
        String seg = segmentKeys().get(1);
        store.delete(seg);
        VerifyReport r = verify(null);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Problem.Kind.SEGMENT_MISSING);
            assertThat(p.key()).isEqualTo(rel(seg));
        });
        // Its chunks are no longer referenced by anything: counted, not a problem of their own.
        assertThat(r.unreferencedChunks()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aSegmentPutInAnotherPlaceBreaksTheChain() {
        List<String> segs = segmentKeys();
        store.put(segs.get(2), store.get(segs.get(1)).bytes(), PutCondition.none());
        VerifyReport r = verify(null);
        assertThat(r.problems()).extracting(Problem::kind).contains(Problem.Kind.SEGMENT_OUT_OF_CHAIN);
        assertThat(r.problems()).filteredOn(p -> p.kind() == Problem.Kind.SEGMENT_OUT_OF_CHAIN)
                .extracting(Problem::key).containsOnly(rel(segs.get(2)));
    }

    @Test
    void removingTheNewestSegmentsIsCaughtByTheAnchorAndByCheckpoints() {
        HeadAnchor recorded = verify(null).head();
        List<String> segs = segmentKeys();
        String last = segs.get(segs.size() - 1);
        store.delete(last);
        VerifyReport r = verify(recorded);
        assertThat(r.problems()).extracting(Problem::kind).contains(Problem.Kind.SEGMENT_MISSING, Problem.Kind.ANCHOR_MISMATCH);
        assertThat(r.problems()).extracting(Problem::key).containsOnly(rel(last));
        assertThat(r.head()).isNull();
        // Without the anchor, the clean-close checkpoint at the head still remembers the segment.
        VerifyReport noAnchor = verify(null);
        assertThat(noAnchor.problems()).extracting(Problem::kind).containsExactly(Problem.Kind.SEGMENT_MISSING);
    }

    @Test
    void aRewrittenHeadDoesNotMatchItsAnchor() {
        HeadAnchor recorded = verify(null).head();
        HeadAnchor wrong = new HeadAnchor(recorded.seq(), new byte[32]);
        VerifyReport r = verify(wrong);
        assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.kind()).isEqualTo(Problem.Kind.ANCHOR_MISMATCH));
    }

    @Test
    void strayObjectsAndAMissingSuperblockAreNamed() {
        store.put(PREFIX + "log/not-a-segment", new byte[1], PutCondition.none());
        store.delete(keys.superblock());
        VerifyReport r = verify(null);
        assertThat(r.problems()).extracting(Problem::kind)
                .containsExactlyInAnyOrder(Problem.Kind.UNEXPECTED_OBJECT, Problem.Kind.SUPERBLOCK_DAMAGED);
        assertThat(r.fsId()).isNotNull(); // taken from the first segment, so the rest is still checked
    }

    @Test
    void anchorsParseOnlyInTheirPrintedForm() {
        HeadAnchor a = HeadAnchor.parse("42:" + "ab".repeat(32));
        assertThat(HeadAnchor.parse(a.toString())).isEqualTo(a);
        assertThatThrownBy(() -> HeadAnchor.parse("42")).hasMessageContaining("expected SEQ:SHA256");
        assertThatThrownBy(() -> HeadAnchor.parse("x:" + "ab".repeat(32))).hasMessageContaining("not a number");
        assertThatThrownBy(() -> HeadAnchor.parse("0:" + "ab".repeat(32))).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> HeadAnchor.parse("4:abc")).hasMessageContaining("64 hex digits");
    }
}
