package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.pacsfs.cache.ChunkKey;

/**
 * Chunks that read-ahead fetched (or is fetching) ahead of sequential readers, held until every reader that asked for
 * them has passed them. The memory tier's admission policy (W-TinyLFU) may refuse a freshly prefetched chunk in favour
 * of chunks read often; without this hold, a large sequential read would fetch each chunk twice. The hold is bounded
 * in bytes ({@code readAheadMaxBytesTotal}): a pin that would exceed it is refused and read-ahead waits.
 *
 * <p>Thread-safe.
 */
final class PinnedChunks {
    private static final class Pin {
        final CompletableFuture<ByteBuffer> data;
        final int bytes;
        int holders = 1;

        Pin(CompletableFuture<ByteBuffer> data, int bytes) {
            this.data = data;
            this.bytes = bytes;
        }
    }

    private final Map<ChunkKey, Pin> pins = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final long maxBytes;

    PinnedChunks(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Pins {@code key} ({@code size} data bytes), starting its load with {@code load} unless it is pinned already.
     * False (nothing pinned) if the pins would exceed the bound.
     */
    boolean pin(ChunkKey key, int size, Supplier<CompletableFuture<ByteBuffer>> load) {
        boolean[] ok = {true};
        pins.compute(key, (k, p) -> {
            if (p != null) {
                p.holders++;
                return p;
            }
            if (bytes.addAndGet(size) > maxBytes) {
                bytes.addAndGet(-size);
                ok[0] = false;
                return null;
            }
            return new Pin(load.get(), size);
        });
        return ok[0];
    }

    /** Drops one hold of {@code key}; the last one frees it. */
    void unpin(ChunkKey key) {
        pins.computeIfPresent(key, (k, p) -> {
            if (--p.holders > 0) {
                return p;
            }
            bytes.addAndGet(-p.bytes);
            return null;
        });
    }

    /** The data of a pinned chunk, waiting for its load if in flight; null if not pinned or its load failed. */
    ByteBuffer dataIfLoaded(ChunkKey key) {
        Pin p = pins.get(key);
        if (p == null) {
            return null;
        }
        try {
            return p.data.join().duplicate();
        } catch (RuntimeException e) {
            return null; // the demand read retries through the cache and reports the error itself
        }
    }

    long bytes() {
        return bytes.get();
    }
}
