package org.pacsfs.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Under a random workload of reads (Zipf-ish: a few hot chunks, many cold ones) and write-throughs of chunks of random
 * sizes, each tier stays within its bound once its maintenance ran, the disk tier's files on disk included, and every
 * read returns the chunk's bytes.
 */
class EvictionBoundsPropertyTest {
    static final long MEMORY = 16L << 20;
    static final long DISK = 64L << 20;

    record Op(boolean write, int chunk, int size) {
    }

    @Provide
    Arbitrary<List<Op>> workloads() {
        Arbitrary<Integer> hot = Arbitraries.integers().between(0, 7);
        Arbitrary<Integer> cold = Arbitraries.integers().between(8, 400);
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.oneOf(hot, cold),
                Arbitraries.integers().between(1, 3 << 20)).as((w, chunk, size) -> new Op(w == 0, chunk, size));
        return op.list().ofMinSize(20).ofMaxSize(150);
    }

    @Property(tries = 25)
    void eachTierStaysWithinItsBound(@ForAll("workloads") List<Op> ops) throws Exception {
        Path dir = Files.createTempDirectory("cache-prop");
        TestLoader loader = new TestLoader();
        CacheConfig config = CacheConfig.defaults().withMemoryBytes(MEMORY).withDisk(DISK, 0);
        try (TieredChunkCache cache = new TieredChunkCache(config, dir, null, Runnable::run)) {
            for (Op op : ops) {
                ChunkKey key = new ChunkKey(op.chunk(), op.chunk() * 31L);
                if (loader.data(key) == null) {
                    loader.origin.put(key, payload(op.chunk(), op.size()));
                }
                if (op.write()) {
                    cache.put(key, ByteBuffer.wrap(loader.data(key)));
                } else {
                    assertThat(TieredChunkCacheTest.bytes(cache.get(key, loader))).isEqualTo(loader.data(key));
                }
                cache.settle();
                assertThat(cache.memoryTier().bytes()).isLessThanOrEqualTo(MEMORY);
                assertThat(cache.diskTier().bytes()).isLessThanOrEqualTo(DISK);
                assertThat(bytesOnDisk(dir)).isLessThanOrEqualTo(DISK);
            }
        } finally {
            deleteTree(dir);
        }
    }

    static byte[] payload(int chunk, int size) {
        byte[] b = new byte[size];
        new java.util.Random(chunk).nextBytes(b);
        return b;
    }

    static long bytesOnDisk(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("lock"))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
