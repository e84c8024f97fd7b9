package org.pacsfs.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The memory tier: decoded chunk data on the heap in a Caffeine {@link AsyncCache} bounded by weight in bytes
 * (W-TinyLFU). Its entries are futures so that a load in flight is an entry too: that is the single flight, and
 * it holds no lock while the load runs (a synchronous Caffeine compute would block other keys of the same hash bin
 * for the whole GET). An entry weighs 0 while in flight and its data length plus a fixed overhead once complete; a
 * failed future is removed by Caffeine. Data in memory was verified when it entered and is trusted on every hit.
 */
final class MemoryTier {
    /** Object headers, the buffer and the Caffeine node, roughly: keeps many tiny chunks from escaping the bound. */
    static final int ENTRY_OVERHEAD = 160;

    private final AsyncCache<ChunkKey, ByteBuffer> cache;
    private final long maxBytes;

    MemoryTier(long maxBytes, Executor maintenance) {
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder().maximumWeight(maxBytes)
                .weigher((ChunkKey k, ByteBuffer v) -> v.capacity() + ENTRY_OVERHEAD)
                .executor(maintenance).buildAsync();
    }

    /** The entry of {@code key}, or null. */
    CompletableFuture<ByteBuffer> getIfPresent(ChunkKey key) {
        return cache.getIfPresent(key);
    }

    /** The entry of {@code key}; {@code mine} becomes the entry if there was none (compare with == to know). */
    CompletableFuture<ByteBuffer> getOrInsert(ChunkKey key, CompletableFuture<ByteBuffer> mine) {
        return cache.get(key, (k, e) -> mine);
    }

    void put(ChunkKey key, ByteBuffer data) {
        cache.put(key, CompletableFuture.completedFuture(data));
    }

    long bytes() {
        return cache.synchronous().policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    long maxBytes() {
        return maxBytes;
    }

    /** Runs pending evictions now (tests, and before reporting sizes). */
    void cleanUp() {
        cache.synchronous().cleanUp();
    }
}
