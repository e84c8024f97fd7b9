package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.pacsfs.cache.CacheConfig;
import org.pacsfs.core.store.ForwardingObjectStore;
import org.pacsfs.core.store.InMemoryObjectStore;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.StoreOperation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read path through the chunk cache: machine A writes and ships, machine B (a fresh state directory, so cold
 * caches) reads. GETs of chunk objects are counted by the in-memory store (all GETs) and by a decorator (chunk keys).
 */
class ChunkCacheReadPathTest {
    static final int MIB = 1 << 20;
    static final int R = OpenFlags.O_RDONLY;

    @TempDir
    Path machineA;
    @TempDir
    Path machineB;

    final InMemoryObjectStore memory = new InMemoryObjectStore();
    final ChunkGets store = new ChunkGets(memory);

    /** Counts GETs of chunk objects; optionally makes each one slow. */
    static final class ChunkGets extends ForwardingObjectStore {
        final AtomicInteger gets = new AtomicInteger();
        volatile long delayMs;

        ChunkGets(ObjectStore delegate) {
            super(delegate);
        }

        @Override
        public ObjectData get(String key) {
            if (!key.contains("chunks/")) {
                return super.get(key);
            }
            gets.incrementAndGet();
            try {
                if (delayMs > 0) {
                    Thread.sleep(delayMs);
                }
                return super.get(key);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static FsConfig cfg(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(20_000, 200_000)
                .withCache(CacheConfig.defaults().withMemoryBytes(64L * MIB).withDisk(256L * MIB, 0).withReadAhead(16L * MIB, 32L * MIB));
    }

    Remote remote() {
        return Remote.of(store, "fs1/").withShip(ShipConfig.defaults().withFlushDelay(Duration.ofMillis(50))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(200)));
    }

    /** Machine A writes {@code data} to {@code /f} and unmounts (everything shipped). */
    void writeOnA(byte[] data) throws Exception {
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote())) {
            RemoteShippingTest.write(a, "/f", data, MIB);
        }
    }

    static byte[] random(int n) {
        return RemoteShippingTest.random(n, 7);
    }

    static byte[] read(LocalFileSystem fs, long fh, long offset, int n) throws FsException {
        ByteBuffer b = ByteBuffer.allocate(n);
        fs.read(fh, offset, b);
        return b.array();
    }

    static byte[] slice(byte[] data, long offset, int n) {
        return java.util.Arrays.copyOfRange(data, (int) offset, (int) offset + n);
    }

    @Test
    void writeThroughServesJustWrittenDataWithoutAGet() throws Exception {
        byte[] data = random(10 * MIB);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote())) {
            RemoteShippingTest.write(a, "/f", data, MIB);
            a.flushToBucket(Duration.ofSeconds(30));
            assertThat(a.chunkCount("/f")).isGreaterThan(1); // the reads below go to chunks, not the write-log
            store.gets.set(0);
            assertThat(RemoteShippingTest.readAll(a, "/f")).isEqualTo(data);
            assertThat(store.gets.get()).isZero();
        }
    }

    @Test
    void chunksJustUploadedAreWrittenThroughToTheDiskTierSoARemountReadsThemWithoutAGet() throws Exception {
        byte[] data = random(12 * MIB);
        writeOnA(data); // ships everything, then closes: the memory tier is gone
        store.gets.set(0);
        try (LocalFileSystem a = LocalFileSystem.open(cfg(machineA), remote())) {
            assertThat(a.chunkCount("/f")).isGreaterThan(1);
            assertThat(RemoteShippingTest.readAll(a, "/f")).isEqualTo(data);
            assertThat(store.gets.get()).as("chunk GETs after the remount").isZero();
            assertThat(a.cacheStats().diskHits()).isEqualTo(a.chunkCount("/f"));
        }
    }

    @Test
    void thirtyTwoConcurrentReadersOfOneChunkCauseOneGet() throws Exception {
        byte[] data = random(4 * MIB);
        writeOnA(data);
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote())) {
            memory.resetStats();
            store.gets.set(0);
            store.delayMs = 300; // every reader arrives while the first GET is in flight
            ExecutorService pool = Executors.newFixedThreadPool(32);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                long offset = 2L * MIB + i * 4096L; // not at 0: these are not sequential starts
                results.add(pool.submit(() -> {
                    long fh = b.open("/f", R);
                    go.await();
                    try {
                        return read(b, fh, offset, 4096);
                    } finally {
                        b.release(fh);
                    }
                }));
            }
            go.countDown();
            for (int i = 0; i < 32; i++) {
                assertThat(results.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(slice(data, 2L * MIB + i * 4096L, 4096));
            }
            pool.shutdown();
            assertThat(store.gets.get()).isEqualTo(1);
            assertThat(memory.stats().requests(StoreOperation.GET)).isEqualTo(1);
        }
    }

    @Test
    void aSequentialReaderIsServedByReadAheadAndEachChunkIsFetchedOnce() throws Exception {
        byte[] data = random(40 * MIB);
        writeOnA(data);
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote())) {
            int chunks = b.chunkCount("/f");
            store.gets.set(0);
            store.delayMs = 20;
            long fh = b.open("/f", R);
            for (long off = 0; off < data.length; off += 128 << 10) {
                assertThat(read(b, fh, off, 128 << 10)).isEqualTo(slice(data, off, 128 << 10));
            }
            b.release(fh);
            assertThat(store.gets.get()).isEqualTo(chunks);
            assertThat(b.cacheStats().prefetches()).isGreaterThanOrEqualTo(chunks - 1L);
        }
    }

    @Test
    void theWindowGrowsWhileTheReaderKeepsUpAndStaysWithinItsBound() throws Exception {
        byte[] data = random(96 * MIB);
        writeOnA(data);
        // 32 MiB per file: the window starts at 8 MiB (two 4 MiB chunks) and may grow to eight chunks, never more.
        // Prefetches are counted when read-ahead issues them (synchronously in the read), so this is not timing-bound.
        FsConfig config = cfg(machineB).withCache(cfg(machineB).cache().withReadAhead(32L * MIB, 32L * MIB));
        try (LocalFileSystem b = LocalFileSystem.open(config, remote())) {
            long fh = b.open("/f", R);
            for (long off = 0; off < data.length; off += 128 << 10) {
                assertThat(read(b, fh, off, 128 << 10)).isEqualTo(slice(data, off, 128 << 10));
                long end = off + (128 << 10);
                long issued = b.cacheStats().prefetches();
                assertThat(issued).as("chunks prefetched after reading %d bytes", end)
                        .isLessThanOrEqualTo((end + 32L * MIB) / (4 * MIB) + 1);
                if (end == 12L * MIB) {
                    // grown: about (12 + 32) / 4 chunks issued; a window stuck at 8 MiB would have issued at most 5
                    assertThat(issued).isGreaterThanOrEqualTo(9);
                }
            }
            b.release(fh);
        }
    }

    @Test
    void randomReadsDoNotPrefetch() throws Exception {
        byte[] data = random(40 * MIB);
        writeOnA(data);
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote())) {
            long fh = b.open("/f", R);
            Random rnd = new Random(3);
            for (int i = 0; i < 30; i++) {
                long off = (long) rnd.nextInt(data.length / 4096 - 32) * 4096 + 2L * MIB;
                off = Math.min(off, data.length - 4096);
                // far from the previous read: a jump of at least 2 MiB each time
                assertThat(read(b, fh, off, 4096)).isEqualTo(slice(data, off, 4096));
                long far = (off + data.length / 2) % (data.length - 4096);
                assertThat(read(b, fh, far, 4096)).isEqualTo(slice(data, far, 4096));
            }
            b.release(fh);
            assertThat(b.cacheStats().prefetches()).isZero();
        }
    }

    @Test
    void aRestartReadsFromTheDiskTierAndACorruptedBlockIsFetchedAgain() throws Exception {
        byte[] data = random(12 * MIB);
        writeOnA(data);
        int chunks;
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote())) {
            chunks = b.chunkCount("/f");
            assertThat(RemoteShippingTest.readAll(b, "/f")).isEqualTo(data);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (b.cacheStats().diskBlocks() < chunks && System.nanoTime() < deadline) {
                Thread.sleep(10); // disk writes happen behind the reader
            }
            assertThat(b.cacheStats().diskBlocks()).isEqualTo(chunks);
        }
        store.gets.set(0);
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote())) {
            assertThat(RemoteShippingTest.readAll(b, "/f")).isEqualTo(data);
            assertThat(store.gets.get()).isZero();
            assertThat(b.cacheStats().diskHits()).isEqualTo(chunks);
        }
        Path block;
        try (Stream<Path> s = Files.walk(machineB.resolve("cache"))) {
            block = s.filter(p -> p.getFileName().toString().length() == 32).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(block.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int v = f.read();
            f.seek(f.length() / 2);
            f.write(v ^ 1);
        }
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote())) {
            assertThat(RemoteShippingTest.readAll(b, "/f")).isEqualTo(data);
            assertThat(store.gets.get()).isEqualTo(1);
            assertThat(b.cacheStats().corruptBlocks()).isEqualTo(1);
        }
    }

    @Test
    void aChunkDamagedInTheBucketIsAnErrorNotOtherBytes() throws Exception {
        byte[] data = random(6 * MIB);
        writeOnA(data);
        String victim = memory.listAll("fs1/chunks/").findFirst().orElseThrow().key();
        byte[] bytes = memory.get(victim).bytes();
        bytes[bytes.length / 2] ^= 1;
        memory.put(victim, bytes, org.pacsfs.core.store.PutCondition.none());
        try (LocalFileSystem b = LocalFileSystem.open(cfg(machineB), remote())) {
            long fh = b.open("/f", R);
            int errors = 0;
            for (long off = 0; off < data.length; off += MIB) {
                try {
                    assertThat(read(b, fh, off, MIB)).isEqualTo(slice(data, off, MIB));
                } catch (FsException.Io e) {
                    assertThat(e.getMessage()).contains("damaged in the bucket");
                    errors++;
                }
            }
            b.release(fh);
            assertThat(errors).isPositive();
            assertThat(b.cacheStats().diskBlocks()).isLessThan(b.chunkCount("/f"));
        }
    }
}
