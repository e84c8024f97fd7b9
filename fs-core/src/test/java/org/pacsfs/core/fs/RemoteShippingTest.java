package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.store.FaultInjectingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.StoreOperation;

/** Shipping to a bucket (in-memory and fault-injecting stores) and mounting it again elsewhere. */
class RemoteShippingTest {
    static final int W = OpenFlags.O_RDWR | OpenFlags.O_CREAT;

    @TempDir
    Path machineA;
    @TempDir
    Path machineB;

    static FsConfig cfg(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(20_000, 200_000);
    }

    static Remote remote(ObjectStore store) {
        return Remote.of(store, "fs1/").withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(50))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(200)));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] readAll(FileSystem fs, String path) throws FsException {
        long fh = fs.open(path, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate((int) fs.getattr(path).size());
            while (b.hasRemaining() && fs.read(fh, b.position(), b) > 0) {
                // keep reading
            }
            return b.array();
        } finally {
            fs.release(fh);
        }
    }

    static void write(FileSystem fs, String path, byte[] data, int piece) throws FsException {
        long fh = fs.create(path, 0644, W, Caller.ROOT);
        for (int off = 0; off < data.length; off += piece) {
            fs.write(fh, off, ByteBuffer.wrap(data, off, Math.min(piece, data.length - off)));
        }
        fs.release(fh);
    }

    @Test
    void aSecondMachineSeesTheIdenticalTreeAfterACleanUnmount() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] big = random(9 << 20, 1);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store))) {
            a.mkdir("/study", 0755, Caller.ROOT);
            write(a, "/study/big.dcm", big, 128 << 10);
            for (int i = 0; i < 50; i++) {
                write(a, "/study/small" + i, random(4096 + i, i), 4096);
            }
            a.symlink("big.dcm", "/study/link", Caller.ROOT);
            a.rename("/study/small0", "/study/renamed", 0);
            a.unlink("/study/small1");
            a.setxattr("/study/big.dcm", "user.k", new byte[] {1, 2}, 0);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store))) {
            assertThat(b.recoveryInfo().indexTrusted()).isFalse();
            assertThat(readAll(b, "/study/big.dcm")).isEqualTo(big);
            assertThat(readAll(b, "/study/renamed")).isEqualTo(random(4096, 0));
            assertThat(readAll(b, "/study/small49")).isEqualTo(random(4096 + 49, 49));
            assertThat(b.readlink("/study/link")).isEqualTo("big.dcm");
            assertThat(b.getxattr("/study/big.dcm", "user.k")).containsExactly(1, 2);
            assertThatThrownBy(() -> b.getattr("/study/small1")).isInstanceOf(FsException.NotFound.class);
            assertThat(b.readdir(b.opendir("/study"), 0, 100)).hasSize(2 + 1 + 1 + 49); // ., .., big.dcm, link, 49 small (one renamed)
        }
    }

    @Test
    void manySmallFilesArePackedIntoFewPuts() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store).withShip(ShipConfig.defaults()
                .withFlushDelay(Duration.ofSeconds(30))))) {
            store.resetStats();
            for (int i = 0; i < 10_000; i++) {
                write(a, "/f" + i, random(4096, i), 4096);
            }
            a.flushToBucket(Duration.ofMinutes(1));
            long puts = store.stats().requests(StoreOperation.PUT);
            assertThat(puts).as("PUTs for 10,000 files of 4 KiB").isLessThanOrEqualTo(40);
            assertThat(readAll(a, "/f777")).isEqualTo(random(4096, 777));
        }
    }

    @Test
    void aSeriesOfDicomSizedFilesSharesChunks() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store).withShip(ShipConfig.defaults()
                .withFlushDelay(Duration.ofSeconds(30))))) {
            store.resetStats();
            for (int i = 0; i < 64; i++) {
                write(a, "/ct" + i, random(512 << 10, i), 128 << 10);
            }
            a.flushToBucket(Duration.ofMinutes(1));
            long puts = store.stats().requests(StoreOperation.PUT);
            // 32 MiB of instances: 8 chunks of 4 MiB, plus a few log segments (16 MiB batches) — not 64 chunk PUTs
            assertThat(puts).as("PUTs for 64 files of 512 KiB (issue 9: at most 0.25 per file)").isLessThanOrEqualTo(16);
            assertThat(readAll(a, "/ct33")).isEqualTo(random(512 << 10, 33));
        }
    }

    @Test
    void aSequentialFileReferencesFullSizeChunks() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] data = random(21 << 20, 7);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store))) {
            write(a, "/seq", data, 1 << 20);
            a.flushToBucket(Duration.ofMinutes(1));
            Set<String> chunks = new HashSet<>();
            store.listAll("fs1/chunks/").map(ObjectInfo::key).forEach(chunks::add);
            assertThat(chunks.size()).isLessThanOrEqualTo((int) Math.ceil(data.length / (double) (4 << 20)) + 1);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store))) {
            assertThat(readAll(b, "/seq")).isEqualTo(data);
        }
    }

    @Test
    void aFileAppendedInTinyPiecesWhileShippingKeepsFewChunks() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] data = random(1000 * 1024, 11);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store))) {
            a.release(a.create("/grow", 0644, W, Caller.ROOT));
            for (int i = 0; i < 1000; i++) {
                long fh = a.open("/grow", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
                a.write(fh, 0, ByteBuffer.wrap(data, i * 1024, 1024));
                a.release(fh);
                a.flushToBucket(Duration.ofMinutes(1));
            }
            assertThat(a.chunkCount("/grow")).isLessThanOrEqualTo((int) Math.ceil(data.length / (128.0 * 1024)) + 1);
            assertThat(readAll(a, "/grow")).isEqualTo(data);
            // Each batch re-uploads less than minChunkBytes (128 KiB) of tail.
            assertThat(a.shipStatus().rewrittenBytes()).isLessThan(1000L * (128 << 10));
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store))) {
            assertThat(readAll(b, "/grow")).isEqualTo(data);
            assertThat(b.chunkCount("/grow")).isLessThanOrEqualTo((int) Math.ceil(data.length / (128.0 * 1024)) + 1);
        }
    }

    @Test
    void interleavedLargeFilesGetTheirOwnFullSizeChunks() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        byte[] x = random(12 << 20, 21);
        byte[] y = random(12 << 20, 22);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store).withShip(ShipConfig.defaults()
                .withFlushDelay(Duration.ofSeconds(30))))) {
            long fx = a.create("/x", 0644, W, Caller.ROOT);
            long fy = a.create("/y", 0644, W, Caller.ROOT);
            for (int off = 0; off < x.length; off += 128 << 10) {
                a.write(fx, off, ByteBuffer.wrap(x, off, 128 << 10));
                a.write(fy, off, ByteBuffer.wrap(y, off, 128 << 10));
            }
            a.release(fx);
            a.release(fy);
            a.flushToBucket(Duration.ofMinutes(1));
            assertThat(a.chunkCount("/x")).isLessThanOrEqualTo(4);
            assertThat(a.chunkCount("/y")).isLessThanOrEqualTo(4);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store))) {
            assertThat(readAll(b, "/x")).isEqualTo(x);
            assertThat(readAll(b, "/y")).isEqualTo(y);
        }
    }

    @Test
    void transientFailuresAndAnOutageLoseNothing() throws Exception {
        InMemoryObjectStore backing = new InMemoryObjectStore();
        FaultInjectingObjectStore faulty = FaultInjectingObjectStore.builder(backing).seed(3).transientErrorRate(0.2)
                .lostResponseRate(0.05).build();
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(faulty))) {
            for (int i = 0; i < 200; i++) {
                write(a, "/f" + i, random(30_000, i), 8192);
                if (i == 100) {
                    faulty.setOutage(true);
                }
                if (i == 150) {
                    faulty.setOutage(false);
                }
            }
            a.flushToBucket(Duration.ofMinutes(1));
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(backing))) {
            for (int i = 0; i < 200; i++) {
                assertThat(readAll(b, "/f" + i)).as("file %d", i).isEqualTo(random(30_000, i));
            }
        }
    }

    @Test
    void crashAfterShippingRecoversFromBucketAndLocalLog() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store));
        write(a, "/shipped", random(100_000, 1), 4096);
        a.flushToBucket(Duration.ofMinutes(1));
        write(a, "/local-only", random(50_000, 2), 4096);
        a.syncAll();
        a.crashForTesting();
        try (LocalFileSystem again = LocalFileSystem.open(cfg(machineA), remote(store).withTakeOver(true))) {
            assertThat(again.recoveryInfo().indexTrusted()).isFalse();
            assertThat(readAll(again, "/shipped")).isEqualTo(random(100_000, 1));
            assertThat(readAll(again, "/local-only")).isEqualTo(random(50_000, 2));
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store))) {
            assertThat(readAll(b, "/local-only")).isEqualTo(random(50_000, 2));
        }
    }

    @Test
    void aDamagedChunkIsEioNeverOtherBytes() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store))) {
            write(a, "/x", random(300_000, 5), 65536);
        }
        String chunk = store.listAll("fs1/chunks/").map(ObjectInfo::key).findFirst().orElseThrow();
        byte[] bytes = store.get(chunk).bytes();
        bytes[bytes.length / 2] ^= 0x10;
        store.put(chunk, ByteBuffer.wrap(bytes), org.pacsfs.core.store.PutCondition.none());
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store))) {
            assertThatThrownBy(() -> readAll(b, "/x")).isInstanceOfSatisfying(FsException.Io.class,
                    e -> assertThat(e.getMessage()).contains("damaged"));
        }
    }

    @Test
    void aRestartAfterACrashReclaimsItsOwnLeaseButAnotherMachineIsRefused() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store));
        write(a, "/unshipped", random(10_000, 3), 4096);
        a.syncAll();
        a.crashForTesting(); // the lease stays held by the dead mount
        assertThatThrownBy(() -> LocalFileSystem.open(cfg(machineB), remote(store)))
                .isInstanceOf(FsException.Io.class).hasMessageContaining("lease");
        try (LocalFileSystem again = LocalFileSystem.open(cfg(machineA), remote(store))) { // no --take-over needed
            assertThat(readAll(again, "/unshipped")).isEqualTo(random(10_000, 3));
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote(store))) { // released cleanly
            assertThat(readAll(b, "/unshipped")).isEqualTo(random(10_000, 3));
        }
    }

    @Test
    void aSecondWriterIsRefusedWhileTheFirstHoldsTheLease() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote(store))) {
            assertThatThrownBy(() -> LocalFileSystem.open(cfg(machineB), remote(store)))
                    .isInstanceOf(FsException.Io.class).hasMessageContaining("lease");
        }
    }
}
