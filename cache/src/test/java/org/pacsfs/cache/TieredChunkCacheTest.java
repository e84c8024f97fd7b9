package org.pacsfs.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TieredChunkCacheTest {
    static final int MIB = 1 << 20;
    @TempDir
    Path dir;
    final TestLoader loader = new TestLoader();
    final List<TieredChunkCache> open = new ArrayList<>();

    TieredChunkCache cache(CacheConfig config) {
        TieredChunkCache c = new TieredChunkCache(config, dir.resolve("cache"), null, Runnable::run);
        open.add(c);
        return c;
    }

    TieredChunkCache cache() {
        return cache(CacheConfig.defaults().withMemoryBytes(64L * MIB).withDisk(256L * MIB, 0));
    }

    @AfterEach
    void closeAll() {
        open.forEach(TieredChunkCache::close);
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    @Test
    void thirtyTwoConcurrentReadersOfOneChunkCauseOneFetch() throws Exception {
        TieredChunkCache c = cache();
        ChunkKey key = loader.add(1, MIB);
        loader.fetchDelayMs = 200; // every reader arrives while the first load is in flight
        ExecutorService pool = Executors.newFixedThreadPool(32);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<byte[]>> results = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            results.add(pool.submit(() -> {
                start.await();
                return bytes(c.get(key, loader));
            }));
        }
        start.countDown();
        for (Future<byte[]> r : results) {
            assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(loader.data(key));
        }
        pool.shutdown();
        assertThat(loader.fetches.get()).isEqualTo(1);
        assertThat(c.stats().originLoads()).isEqualTo(1);
        assertThat(c.stats().memoryHits()).isEqualTo(31);
    }

    @Test
    void aFailedLoadReachesEveryWaiterAndIsNotCached() throws Exception {
        TieredChunkCache c = cache();
        ChunkKey key = loader.add(2, 1000);
        loader.failure = new IOException("origin down");
        assertThatThrownBy(() -> c.get(key, loader)).isInstanceOf(ChunkLoadException.class).hasMessageContaining("origin down");
        loader.failure = null;
        assertThat(bytes(c.get(key, loader))).isEqualTo(loader.data(key));
        assertThat(loader.fetches.get()).isEqualTo(2);
    }

    @Test
    void corruptOriginBytesAreAnErrorNotData() {
        TieredChunkCache c = cache();
        ChunkKey key = loader.add(3, 1000);
        ChunkLoader flipping = new ChunkLoader() {
            @Override
            public ByteBuffer fetch(ChunkKey k) throws IOException {
                ByteBuffer b = loader.fetch(k);
                b.put(10, (byte) (b.get(10) ^ 1));
                return b;
            }

            @Override
            public ByteBuffer decode(ChunkKey k, ByteBuffer stored) throws CorruptChunkException {
                return loader.decode(k, stored);
            }
        };
        assertThatThrownBy(() -> c.get(key, flipping)).isInstanceOf(ChunkLoadException.class)
                .matches(e -> ((ChunkLoadException) e).corrupt());
        assertThat(c.stats().diskBlocks()).isZero();
    }

    @Test
    void aRestartKeepsTheDiskTier() throws Exception {
        TieredChunkCache first = cache();
        List<ChunkKey> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            keys.add(loader.add(100 + i, MIB + i));
            first.get(keys.get(i), loader);
        }
        first.settle();
        first.close();
        open.remove(first);
        TieredChunkCache second = cache();
        assertThat(second.stats().diskBlocks()).isEqualTo(10);
        for (ChunkKey k : keys) {
            assertThat(bytes(second.get(k, loader))).isEqualTo(loader.data(k));
        }
        assertThat(loader.fetches.get()).isEqualTo(10); // only the first instance fetched
        assertThat(second.stats().diskHits()).isEqualTo(10);
    }

    @Test
    void aCorruptedBlockIsDetectedRemovedAndFetchedAgain() throws Exception {
        TieredChunkCache first = cache();
        ChunkKey key = loader.add(7, MIB);
        first.get(key, loader);
        first.settle();
        Path block = first.diskTier().path(key);
        first.close();
        open.remove(first);
        try (RandomAccessFile f = new RandomAccessFile(block.toFile(), "rw")) {
            f.seek(BlockFormat.HEADER_SIZE + 12345);
            int b = f.read();
            f.seek(BlockFormat.HEADER_SIZE + 12345);
            f.write(b ^ 0x40);
        }
        TieredChunkCache second = cache();
        assertThat(bytes(second.get(key, loader))).isEqualTo(loader.data(key));
        assertThat(loader.fetches.get()).isEqualTo(2);
        assertThat(second.stats().corruptBlocks()).isEqualTo(1);
        second.settle();
        assertThat(BlockFormat.payload(key, ByteBuffer.wrap(Files.readAllBytes(block)))).isNotNull(); // rewritten, valid
    }

    @Test
    void aBlockThatPassesItsCrcButNotTheLoadersChecksIsRefetched() throws Exception {
        TieredChunkCache first = cache();
        ChunkKey key = loader.add(8, 4096);
        first.get(key, loader);
        first.settle();
        Path block = first.diskTier().path(key);
        first.close();
        open.remove(first);
        // A well-formed block with wrong content: e.g. written by a buggy version. The loader's checksum catches it.
        ByteBuffer wrong = loader.fetch(key);
        wrong.put(100, (byte) (wrong.get(100) + 1));
        Files.write(block, concat(BlockFormat.header(key, wrong), wrong));
        TieredChunkCache second = cache();
        assertThat(bytes(second.get(key, loader))).isEqualTo(loader.data(key));
        assertThat(second.stats().corruptBlocks()).isEqualTo(1);
        assertThat(second.stats().diskHits()).isZero();
    }

    @Test
    void aBlockUnderAnotherKeysNameIsAMiss() throws Exception {
        TieredChunkCache first = cache();
        ChunkKey a = loader.add(20, 4096);
        ChunkKey b = loader.add(21, 4096);
        first.get(a, loader);
        first.get(b, loader);
        first.settle();
        Files.copy(first.diskTier().path(a), first.diskTier().path(b), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        first.close();
        open.remove(first);
        TieredChunkCache second = cache();
        assertThat(bytes(second.get(b, loader))).isEqualTo(loader.data(b));
        assertThat(second.stats().corruptBlocks()).isEqualTo(1);
    }

    /** A loader that reports a CRC32C of the stored bytes, right or wrong. */
    ChunkLoader withCrc(boolean right) {
        return new ChunkLoader() {
            @Override
            public ByteBuffer fetch(ChunkKey k) throws IOException {
                return loader.fetch(k);
            }

            @Override
            public ByteBuffer decode(ChunkKey k, ByteBuffer stored) throws CorruptChunkException {
                return loader.decode(k, stored);
            }

            @Override
            public java.util.OptionalInt storedCrc32c(ChunkKey k) {
                try {
                    int crc = TestLoader.crc(loader.fetch(k));
                    loader.fetches.decrementAndGet(); // not a fetch of the cache's
                    return java.util.OptionalInt.of(right ? crc : crc + 1);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    @Test
    void aCrcTheLoaderKnowsIsWrittenIntoTheBlockAndAWrongOneOnlyCostsARefetch() throws Exception {
        TieredChunkCache first = cache();
        ChunkKey good = loader.add(30, 100_000);
        ChunkKey bad = loader.add(31, 100_000);
        first.get(good, withCrc(true));
        first.get(bad, withCrc(false));
        first.settle();
        first.close();
        open.remove(first);
        TieredChunkCache second = cache();
        assertThat(bytes(second.get(good, loader))).isEqualTo(loader.data(good));
        assertThat(bytes(second.get(bad, loader))).isEqualTo(loader.data(bad));
        assertThat(second.stats().diskHits()).isEqualTo(1);
        assertThat(second.stats().corruptBlocks()).isEqualTo(1);
        assertThat(loader.fetches.get()).isEqualTo(3);
    }

    @Test
    void prefetchLoadsInTheBackgroundAndAReaderWaitsForIt() throws Exception {
        TieredChunkCache c = cache();
        ChunkKey key = loader.add(9, MIB);
        loader.fetchDelayMs = 100;
        var f = c.prefetch(key, loader);
        assertThat(c.inMemory(key)).isTrue();
        assertThat(bytes(c.get(key, loader))).isEqualTo(loader.data(key));
        assertThat(f).isDone();
        assertThat(loader.fetches.get()).isEqualTo(1);
        assertThat(c.stats().prefetches()).isEqualTo(1);
    }

    @Test
    void writeThroughServesWithoutAFetchAndKeepsItsOwnCopy() throws Exception {
        TieredChunkCache c = cache();
        ChunkKey key = new ChunkKey(5, 5);
        ByteBuffer data = ByteBuffer.allocate(4 * MIB).put(new byte[] {1, 2, 3}).flip();
        c.put(key, data);
        data.clear().put(0, (byte) 9); // the writer reuses its buffer
        assertThat(bytes(c.get(key, loader))).containsExactly(1, 2, 3);
        assertThat(loader.fetches.get()).isZero();
    }

    @Test
    void storedBytesWrittenThroughReachTheDiskTierAndAreVerifiedWhenReadBack() throws Exception {
        TieredChunkCache c = cache();
        ChunkKey key = loader.add(77, MIB);
        ByteBuffer stored = loader.fetch(key);
        loader.fetches.set(0);
        c.putStored(key, stored, java.util.OptionalInt.empty());
        c.settle();
        assertThat(c.stats().diskBlocks()).isEqualTo(1);
        c.close();
        open.remove(c);
        TieredChunkCache after = cache(); // a restart: the memory tier is empty, the block is on disk
        assertThat(bytes(after.get(key, loader))).isEqualTo(loader.data(key));
        assertThat(loader.fetches.get()).as("served from the disk tier").isZero();
        assertThat(after.stats().diskHits()).isEqualTo(1);

        ChunkKey wrong = loader.add(78, MIB);
        ByteBuffer damaged = ByteBuffer.allocate(MIB + 4).put(loader.fetch(wrong)).flip();
        loader.fetches.set(0);
        damaged.put(100, (byte) (damaged.get(100) ^ 1)); // a writer bug: bytes that do not verify
        after.putStored(wrong, damaged, java.util.OptionalInt.empty());
        after.settle();
        assertThat(bytes(after.get(wrong, loader))).isEqualTo(loader.data(wrong));
        assertThat(loader.fetches.get()).as("the bad block was refused and the chunk fetched").isEqualTo(1);
    }

    @Test
    void theDiskTierGivesWayWhenTheDiskFillsUp() throws Exception {
        // A 10 GiB disk whose free space is what others leave (othersFree) minus what the cache's blocks take.
        long[] othersFree = {5L << 30};
        TieredChunkCache[] c = new TieredChunkCache[1];
        SpaceProbe probe = new SpaceProbe() {
            @Override
            public long usableBytes() {
                return othersFree[0] - c[0].diskTier().bytes();
            }

            @Override
            public long totalBytes() {
                return 10L << 30;
            }
        };
        c[0] = new TieredChunkCache(CacheConfig.defaults().withMemoryBytes(64L * MIB).withDisk(256L * MIB, 0.05),
                dir.resolve("cache"), probe, Runnable::run);
        open.add(c[0]);
        for (int i = 0; i < 20; i++) {
            c[0].get(loader.add(200 + i, MIB), loader);
        }
        c[0].settle();
        assertThat(c[0].stats().diskBlocks()).isEqualTo(20);
        long reserve = (long) Math.ceil(0.05 * (10L << 30));
        othersFree[0] = reserve + 10 * MIB + MIB / 2; // others filled the disk: about ten blocks may stay
        for (int i = 0; i < 5; i++) {
            c[0].get(loader.add(300 + i, MIB), loader);
        }
        c[0].settle();
        assertThat(probe.usableBytes()).isGreaterThanOrEqualTo(reserve);
        assertThat(c[0].stats().diskBlocks()).isBetween(5L, 10L);
        assertThat(c[0].stats().diskWritesSkipped()).isZero();
        othersFree[0] = reserve + MIB / 2; // not even an empty tier leaves room for a block: nothing is written
        c[0].get(loader.add(400, MIB), loader);
        c[0].settle();
        assertThat(c[0].stats().diskWritesSkipped()).isEqualTo(1);
        assertThat(c[0].stats().diskBlocks()).isZero();
    }

    @Test
    void twoCachesCannotShareADirectory() {
        cache();
        assertThatThrownBy(this::cache).hasMessageContaining("in use by another pacsfs process");
    }

    @Test
    void leftoverTemporaryAndForeignFilesAreRemovedAtOpen() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("cache/ab"));
        Files.write(sub.resolve("ab" + "0".repeat(30) + ".tmp"), new byte[100]);
        Files.write(sub.resolve("cd" + "0".repeat(30)), new byte[100]); // in the wrong subdirectory
        TieredChunkCache c = cache();
        assertThat(c.stats().diskBlocks()).isZero();
        try (var s = Files.list(sub)) {
            assertThat(s).isEmpty();
        }
    }

    static byte[] concat(ByteBuffer a, ByteBuffer b) {
        return ByteBuffer.allocate(a.remaining() + b.remaining()).put(a.duplicate()).put(b.duplicate()).array();
    }

    @Test
    void putUnsharedKeepsAFullBufferAndCopiesASmallPieceOfALargeOne() throws Exception {
        TieredChunkCache c = cache();
        byte[] full = new byte[MIB];
        java.util.Arrays.fill(full, (byte) 7);
        ChunkKey fullKey = new ChunkKey(100, 1);
        c.putUnshared(fullKey, ByteBuffer.wrap(full, 40, MIB - 40));
        byte[] big = new byte[MIB];
        java.util.Arrays.fill(big, (byte) 9);
        ChunkKey smallKey = new ChunkKey(100, 2);
        c.putUnshared(smallKey, ByteBuffer.wrap(big, 40, 1000));
        c.memoryTier().cleanUp();
        // the small piece was copied: the tier is charged about its length, not the megabyte array behind it
        assertThat(c.memoryTier().bytes()).isLessThan(MIB + 64 * 1024);
        big[100] = 1; // the caller may reuse a buffer that was copied
        assertThat(bytes(c.get(smallKey, loader))).containsOnly((byte) 9).hasSize(1000);
        assertThat(bytes(c.get(fullKey, loader))).containsOnly((byte) 7).hasSize(MIB - 40);
        assertThat(c.get(fullKey, loader).isReadOnly()).isTrue();
        assertThat(loader.fetches.get()).isZero();
    }
}
