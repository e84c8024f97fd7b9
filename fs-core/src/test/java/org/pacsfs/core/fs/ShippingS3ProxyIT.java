package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.lease.LeaseConfig;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.PutCondition;
import org.pacsfs.core.store.s3.S3ObjectStore;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/** Shipping against a real S3 server (S3Proxy): a second machine, a second writer, a damaged chunk. */
@WithS3Proxy
class ShippingS3ProxyIT {
    static final String PREFIX = "pacs/";

    @TempDir
    Path tmp;

    static FsConfig cfg(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(20_000, 200_000);
    }

    static Remote remote(ObjectStore store, String host) {
        return Remote.of(store, PREFIX)
                .withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(100)).withBackoff(Duration.ofMillis(10), Duration.ofMillis(500)))
                .withLease(LeaseConfig.defaults().withHostName(host));
    }

    @Test
    void aSecondMachineSeesTheIdenticalTreeAndBytesAfterACleanUnmount(S3TestBucket bucket) throws Exception {
        SortedMap<String, String> onA;
        try (LocalFileSystem a = LocalFileSystem.open(cfg(tmp.resolve("a")), remote(bucket.newStore(), "machine-a"))) {
            a.mkdir("/archive", 0755, Caller.ROOT);
            for (int s = 0; s < 5; s++) {
                String study = "/archive/study-" + s;
                a.mkdir(study, 0750, Caller.ROOT);
                for (int i = 0; i < 20; i++) {
                    long id = s * 100L + i;
                    ShipTestSupport.writeFile(a, study + "/img" + i + ".dcm", ShipTestSupport.pattern(id, 0, 500 + (int) (id * 131 % 60_000)), 16384);
                }
            }
            ShipTestSupport.writeFile(a, "/archive/big.raw", ShipTestSupport.pattern(99_999, 0, (9 << 20) + 12345), 128 << 10);
            long fh = a.create("/audit.log", 0600, ShipTestSupport.W, Caller.ROOT);
            long size = 0;
            for (int i = 0; i < 200; i++) { // appended a line at a time, shipping between appends
                byte[] line = ShipTestSupport.pattern(77, size, 50 + i % 90);
                a.write(fh, size, ByteBuffer.wrap(line));
                size += line.length;
                if (i % 50 == 0) {
                    a.flushToBucket(Duration.ofSeconds(30));
                }
            }
            a.release(fh);
            a.rename("/archive/study-1", "/archive/study-1-verified", 0);
            a.rename("/archive/study-2/img3.dcm", "/archive/study-0/moved.dcm", 0);
            a.unlink("/archive/study-3/img0.dcm");
            a.symlink("study-0/img1.dcm", "/archive/latest", Caller.ROOT);
            a.link("/archive/study-0/img2.dcm", "/archive/hardlink.dcm");
            a.setxattr("/archive/big.raw", "user.pacs.sop", "1.2.840.10008".getBytes(), 0);
            a.chmod("/archive/study-4", 0700);
            a.truncate("/archive/study-4/img5.dcm", 100);
            onA = ShipTestSupport.snapshot(a);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(tmp.resolve("b")), remote(bucket.newStore(), "machine-b"))) {
            assertThat(b.recoveryInfo().indexTrusted()).isFalse();
            SortedMap<String, String> onB = ShipTestSupport.snapshot(b);
            assertThat(onB).isEqualTo(onA);
            assertThat(onB).hasSizeGreaterThan(100);
            assertThat(b.getattr("/archive/study-4").mode() & 07777).isEqualTo(0700);
            assertThat(ShipTestSupport.readAll(b, "/archive/study-4/img5.dcm")).isEqualTo(ShipTestSupport.pattern(405, 0, 100));
            assertThat(ShipTestSupport.firstMismatch(99_999, ShipTestSupport.readAll(b, "/archive/big.raw"))).isEqualTo(-1);
            assertThat(b.getattr("/archive/hardlink.dcm").nlink()).isEqualTo(2);
        }
    }

    @Test
    void aSecondConcurrentWriterIsRefusedWithAMessageNamingTheLeaseHolder(S3TestBucket bucket) throws Exception {
        try (LocalFileSystem a = LocalFileSystem.open(cfg(tmp.resolve("a")), remote(bucket.newStore(), "pacs-node-a"))) {
            ShipTestSupport.writeFile(a, "/x", new byte[100], 100);
            assertThatThrownBy(() -> LocalFileSystem.open(cfg(tmp.resolve("b")), remote(bucket.newStore(), "pacs-node-b")))
                    .isInstanceOf(FsException.Io.class)
                    .hasMessageContaining("pacs-node-a")
                    .hasMessageContaining("expires at");
            // the refused mount changed nothing: A still writes and ships
            ShipTestSupport.writeFile(a, "/y", new byte[100], 100);
            a.flushToBucket(Duration.ofSeconds(30));
        }
        // after A's clean unmount, B mounts without --take-over
        try (LocalFileSystem b = LocalFileSystem.open(cfg(tmp.resolve("b2")), remote(bucket.newStore(), "pacs-node-b"))) {
            assertThat(b.getattr("/y").size()).isEqualTo(100);
        }
    }

    @Test
    void aBitFlippedInAStoredChunkFailsReadsOfThatFileWithEioNamingTheChunk(S3TestBucket bucket) throws Exception {
        S3ObjectStore store = bucket.newStore();
        byte[] healthy = ShipTestSupport.pattern(1, 0, 200_000);
        byte[] victim = ShipTestSupport.pattern(2, 0, 600_000);
        long victimIno;
        try (LocalFileSystem a = LocalFileSystem.open(cfg(tmp.resolve("a")), remote(store, "machine-a"))) {
            ShipTestSupport.writeFile(a, "/healthy.dcm", healthy, 65536);
            a.flushToBucket(Duration.ofSeconds(30));
            ShipTestSupport.writeFile(a, "/victim.dcm", victim, 65536);
            victimIno = a.getattr("/victim.dcm").ino();
        }
        // the chunks holding the victim's bytes, from the committed log
        ShipTestSupport.LogInspector log = new ShipTestSupport.LogInspector(store, PREFIX);
        log.check();
        Set<String> victimChunks = new LinkedHashSet<>();
        Set<String> healthyChunks = new LinkedHashSet<>();
        long healthyIno = -1;
        for (MetaSegment seg : log.segments()) {
            for (MetaSegment.Op op : seg.ops()) {
                long ino;
                if (op.type() == MetaSegment.OP_CHUNK_WRITE) {
                    ino = FsRecord.readWriteHeader(ByteBuffer.wrap(op.body())).inode().ino();
                } else if (op.type() == MetaSegment.OP_CHUNK_REWRITE) {
                    ino = ByteBuffer.wrap(op.body()).getLong();
                } else {
                    continue;
                }
                String id = ChunkRef.decode(ByteBuffer.wrap(seg.chunkRefs().get(op.chunkIndex()))).id().toString();
                (ino == victimIno ? victimChunks : healthyChunks).add(id);
            }
        }
        victimChunks.removeAll(healthyChunks);
        assertThat(victimChunks).as("chunks holding only the victim's bytes").isNotEmpty();
        // one bit flipped in each of them (tail rewrites may have superseded some), in the data well after the header
        for (String chunkId : victimChunks) {
            String key = BucketKeys.under(PREFIX).chunk(ChunkId.parse(chunkId));
            byte[] stored = store.get(key).bytes();
            stored[stored.length - 1 - (int) (Math.abs(chunkId.hashCode()) % Math.min(1000, stored.length - 64))] ^= 0x04;
            store.put(key, ByteBuffer.wrap(stored), PutCondition.none());
        }

        try (LocalFileSystem b = LocalFileSystem.open(cfg(tmp.resolve("b")), remote(bucket.newStore(), "machine-b"))) {
            for (int attempt = 0; attempt < 2; attempt++) { // and again: nothing wrong was cached
                assertThatThrownBy(() -> ShipTestSupport.readAll(b, "/victim.dcm"))
                        .isInstanceOf(FsException.Io.class)
                        .hasMessageContaining("damaged")
                        .satisfies(e -> assertThat(victimChunks).as("the message names the chunk: %s", e.getMessage())
                                .anyMatch(id -> e.getMessage().contains(id)));
            }
            assertThat(ShipTestSupport.readAll(b, "/healthy.dcm")).as("a file in other chunks").isEqualTo(healthy);
        }
    }
}
