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
 * for the whole GET). An entry weighs 0 while in flight and its data length plus a fixed overhead once complete.
 * A failed load completes its future <em>normally</em> with a {@link Slot} holding the error, after removing the entry:
 * Caffeine logs a warning for every exceptionally completed future, and a transient GET error is not worth one per
 * waiter. Data in memory was verified when it entered and is trusted on every hit.
 */
final class MemoryTier {
    /** Object headers, the buffer and the Caffeine node, roughly: keeps many tiny chunks from escaping the bound. */
    static final int ENTRY_OVERHEAD = 160;

    /** A loaded chunk, or the reason it could not be loaded. */
    record Slot(ByteBuffer data, ChunkLoadException error) {
        int weight() {
            return data == null ? 0 : data.capacity() + ENTRY_OVERHEAD;
        }
    }

    private final AsyncCache<ChunkKey, Slot> cache;
    private final long maxBytes;

    MemoryTier(long maxBytes, Executor maintenance) {
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder().maximumWeight(maxBytes)
                .weigher((ChunkKey k, Slot v) -> v.weight())
                .executor(maintenance).buildAsync();
    }

    /** The entry of {@code key}, or null. */
    CompletableFuture<Slot> getIfPresent(ChunkKey key) {
        return cache.getIfPresent(key);
    }

    /** The entry of {@code key}; {@code mine} becomes the entry if there was none (compare with == to know). */
    CompletableFuture<Slot> getOrInsert(ChunkKey key, CompletableFuture<Slot> mine) {
        return cache.get(key, (k, e) -> mine);
    }

    void put(ChunkKey key, ByteBuffer data) {
        cache.put(key, CompletableFuture.completedFuture(new Slot(data, null)));
    }

    /** Fails a load: the entry goes first, so that the next reader starts a new load, then the waiters learn why. */
    void fail(ChunkKey key, CompletableFuture<Slot> entry, ChunkLoadException error) {
        cache.asMap().remove(key, entry);
        entry.complete(new Slot(null, error));
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
