package org.pacsfs.cache;

import java.nio.ByteBuffer;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * Chunk data by {@link ChunkKey}, from memory, from disk or from the caller's {@link ChunkLoader}.
 *
 * <p><b>What a caller gets</b> is a read-only buffer over immutable bytes (position 0, limit = data length) that
 * stays valid for as long as the caller holds it, also after the entry is evicted: eviction only drops the cache's
 * reference, so an entry in use is never taken from under its reader, and eviction never waits for readers. The
 * price is that the heap may briefly hold evicted chunks that readers still copy from (at most one chunk per
 * concurrent read).
 *
 * <p><b>Single flight:</b> concurrent requests for a chunk that is in no tier cause one load; everyone waits for it
 * and gets the same bytes or the same {@link ChunkLoadException}. A failed load is not cached.
 *
 * <p>Thread-safe.
 */
public interface ChunkCache extends AutoCloseable {

    /** The chunk's data, loading it (on this thread) if no tier has it and no load is in flight. */
    ByteBuffer get(ChunkKey key, ChunkLoader loader) throws ChunkLoadException;

    /**
     * Starts loading the chunk on a background thread if no tier has it in memory and no load is in flight (read-ahead);
     * never blocks. The future completes when the chunk is in memory (or its load failed).
     */
    CompletableFuture<ByteBuffer> prefetch(ChunkKey key, ChunkLoader loader);

    /** True if the memory tier holds the chunk or a load of it is in flight. */
    boolean inMemory(ChunkKey key);

    /**
     * Write-through of data just written (the writer vouches for it, nothing is verified): the memory tier keeps a
     * copy, so {@code data} (position to limit, unchanged) may be reused by the caller afterwards.
     */
    void put(ChunkKey key, ByteBuffer data);

    /**
     * Like {@link #put}, but the memory tier may keep {@code data} itself instead of a copy: the caller hands the bytes
     * over and must never modify them (nor the rest of their array) afterwards. For the shipper's full chunks, whose
     * buffers are dropped after the upload: copying each into the tier cost a 4 MiB allocation and copy per chunk.
     */
    default void putUnshared(ChunkKey key, ByteBuffer data) {
        put(key, data);
    }

    /**
     * Write-through to the disk tier of a chunk's stored bytes (as its origin holds them) just uploaded by the writer:
     * queued like a fetched chunk, dropped if the disk writers are behind, verified by the loader when read back like
     * any disk block. {@code stored} must not be modified afterwards. Without a disk tier, nothing happens.
     */
    default void putStored(ChunkKey key, ByteBuffer stored, OptionalInt storedCrc32c) {
    }

    /** Counters and sizes. */
    CacheStats stats();

    /** Stops background loads and writes and releases the disk tier. */
    @Override
    void close();
}
