package org.pacsfs.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.pacsfs.cache.MemoryTier.Slot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory, then disk, then the loader. A miss in memory becomes an in-flight entry of the memory tier (single flight);
 * its load reads the disk block and hands it to {@link ChunkLoader#decode} — a disk hit is verified like a GET, and a
 * block that fails is removed and the chunk fetched from the origin instead — or fetches and decodes the origin's
 * bytes and queues them for the disk tier. The disk tier keeps <em>stored</em> bytes (compressed where the origin's
 * are): more chunks per disk byte, and the loader's own checksums (e.g. those the metadata log recorded) still apply
 * on the way back; the memory tier keeps decoded data, trusted on every hit.
 *
 * <p>Threads: demand loads run on the reader's thread; prefetches on {@code getParallelism} load threads; disk writes
 * and the disk index's evictions on two disk threads; the memory tier's maintenance on the thread that inserted.
 */
public final class TieredChunkCache implements ChunkCache {
    private static final Logger LOG = LoggerFactory.getLogger(TieredChunkCache.class);
    /**
     * How many stored bytes may wait for the disk threads before further blocks are dropped. Read-ahead completes GETs
     * in bursts of up to {@code getParallelism} chunks; 64 MiB dropped most blocks of a cold 1 GiB read on a loaded
     * 2-core machine. For uncompressed chunks the queued bytes are the same array the memory tier holds.
     */
    static final long DISK_QUEUE_BYTES = 128L << 20;
    /** Threads writing disk blocks (and running the disk index's evictions). */
    static final int DISK_THREADS = 2;

    private final MemoryTier memory;
    private final DiskTier disk;
    private final DiskWriter writer;
    private final ExecutorService loads;
    private final ExecutorService diskThread;
    private final LongAdder memoryHits = new LongAdder();
    private final LongAdder diskHits = new LongAdder();
    private final LongAdder originLoads = new LongAdder();
    private final LongAdder prefetches = new LongAdder();

    /** Opens the cache for {@code config}, its disk tier (if any) in {@code directory}. */
    public static TieredChunkCache open(CacheConfig config, Path directory) {
        return new TieredChunkCache(config, directory, null, null);
    }

    /**
     * @param maintenance where both tiers run their evictions; null in production: the memory tier's on the thread
     *                    that inserted (Caffeine's work there is a few pointer updates, and running it at once keeps
     *                    the tier within its bound; on the common pool it overshot by 3 % on the loaded machine), the
     *                    disk tier's on the disk threads (they delete files). Tests pass {@code Runnable::run}.
     */
    TieredChunkCache(CacheConfig config, Path directory, SpaceProbe space, Executor maintenance) {
        this.memory = new MemoryTier(config.memoryBytes(), maintenance == null ? Runnable::run : maintenance);
        this.loads = Executors.newFixedThreadPool(config.getParallelism(), daemon("pacsfs-cache-get"));
        if (config.diskBytes() == 0) {
            this.diskThread = null;
            this.disk = null;
            this.writer = null;
            return;
        }
        this.diskThread = Executors.newFixedThreadPool(DISK_THREADS, daemon("pacsfs-cache-disk"));
        try {
            Executor diskMaintenance = maintenance == null ? this::onDiskThread : maintenance;
            this.disk = DiskTier.open(directory, config.diskBytes(), config.diskMinFreeRatio(), space, diskMaintenance);
        } catch (IOException e) {
            loads.shutdownNow();
            diskThread.shutdownNow();
            throw new UncheckedIOException("chunk cache directory " + directory + " cannot be used: " + e.getMessage(), e);
        }
        this.writer = new DiskWriter(disk, diskThread, DISK_QUEUE_BYTES);
    }

    /** Evictions of the disk index run on the disk threads; once they have stopped (closing), on the caller's. */
    private void onDiskThread(Runnable task) {
        try {
            diskThread.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    @Override
    public ByteBuffer get(ChunkKey key, ChunkLoader loader) throws ChunkLoadException {
        CompletableFuture<Slot> f = memory.getIfPresent(key);
        if (f == null) {
            CompletableFuture<Slot> mine = new CompletableFuture<>();
            f = memory.getOrInsert(key, mine);
            if (f == mine) {
                load(key, loader, mine);
            } else {
                memoryHits.increment();
            }
        } else {
            memoryHits.increment();
        }
        return await(f);
    }

    @Override
    public CompletableFuture<ByteBuffer> prefetch(ChunkKey key, ChunkLoader loader) {
        CompletableFuture<Slot> f = memory.getIfPresent(key);
        if (f == null) {
            CompletableFuture<Slot> mine = new CompletableFuture<>();
            f = memory.getOrInsert(key, mine);
            if (f == mine) {
                prefetches.increment();
                try {
                    loads.execute(() -> load(key, loader, mine));
                } catch (RejectedExecutionException e) {
                    memory.fail(key, mine, new ChunkLoadException("chunk " + key + ": the cache is closed", e, false));
                }
            }
        }
        return f.thenApply(TieredChunkCache::dataOf);
    }

    private static ByteBuffer dataOf(Slot s) {
        if (s.error() != null) {
            throw new CompletionException(s.error());
        }
        return s.data();
    }

    @Override
    public boolean inMemory(ChunkKey key) {
        return memory.getIfPresent(key) != null;
    }

    @Override
    public void put(ChunkKey key, ByteBuffer data) {
        ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data.duplicate()).flip();
        memory.put(key, copy.asReadOnlyBuffer());
    }

    /**
     * Keeps {@code data} only if it spans nearly all of its array: the memory tier weighs an entry by its data length,
     * so a small chunk in a large buffer would hold far more heap than it is charged for; that one is copied.
     */
    @Override
    public void putUnshared(ChunkKey key, ByteBuffer data) {
        if (data.hasArray() && !data.isReadOnly() && data.remaining() >= data.array().length - data.array().length / 16) {
            memory.put(key, data.slice().asReadOnlyBuffer());
        } else {
            put(key, data);
        }
    }

    @Override
    public void putStored(ChunkKey key, ByteBuffer stored, OptionalInt storedCrc32c) {
        if (writer != null) {
            writer.submit(key, stored.duplicate(), storedCrc32c);
        }
    }

    /** Waits for an entry; a failed load reaches every waiter as its own exception with the same message. */
    static ByteBuffer await(CompletableFuture<Slot> f) throws ChunkLoadException {
        try {
            Slot s = f.get();
            if (s.error() != null) {
                ChunkLoadException c = s.error();
                throw new ChunkLoadException(c.getMessage(), c.getCause(), c.corrupt());
            }
            return s.data().duplicate();
        } catch (ExecutionException e) { // not produced by this class; kept for completeness of the contract
            throw new ChunkLoadException(String.valueOf(e.getCause()), e.getCause(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChunkLoadException("interrupted while waiting for a chunk", e, false);
        }
    }

    private void load(ChunkKey key, ChunkLoader loader, CompletableFuture<Slot> into) {
        try {
            into.complete(new Slot(fromTiers(key, loader).asReadOnlyBuffer(), null));
        } catch (ChunkLoadException e) {
            memory.fail(key, into, e);
        } catch (RuntimeException | Error e) {
            memory.fail(key, into, new ChunkLoadException("chunk " + key + " could not be loaded: " + e, e, false));
        }
    }

    private ByteBuffer fromTiers(ChunkKey key, ChunkLoader loader) throws ChunkLoadException {
        ByteBuffer cached = disk == null ? null : disk.read(key);
        if (cached != null) {
            try {
                ByteBuffer data = loader.decode(key, cached);
                diskHits.increment();
                return data;
            } catch (CorruptChunkException e) {
                LOG.warn("chunk cache block {} passed its own CRC32C but not the chunk's checks ({}); removed, fetching again",
                        key, e.getMessage());
                disk.corrupt.increment();
                disk.remove(key);
            }
        }
        ByteBuffer stored;
        try {
            stored = loader.fetch(key);
        } catch (IOException e) {
            throw new ChunkLoadException(e.getMessage(), e, false);
        }
        originLoads.increment();
        ByteBuffer data;
        try {
            data = loader.decode(key, stored.duplicate());
        } catch (CorruptChunkException e) {
            throw new ChunkLoadException(e.getMessage(), e, true);
        }
        if (writer != null) {
            // not a read-only view: the disk writer needs the array (nobody modifies these bytes after the fetch)
            writer.submit(key, stored.duplicate(), loader.storedCrc32c(key));
        }
        return data;
    }

    @Override
    public CacheStats stats() {
        return new CacheStats(memoryHits.sum(), diskHits.sum(), originLoads.sum(), prefetches.sum(),
                disk == null ? 0 : disk.corrupt.sum(),
                disk == null ? 0 : writer.dropped.sum() + disk.skippedForSpace.sum(),
                memory.bytes(), disk == null ? 0 : disk.bytes(), disk == null ? 0 : disk.blocks());
    }

    /** Runs pending evictions of both tiers now and waits for queued disk writes (tests, benchmarks). */
    void settle() throws InterruptedException {
        if (writer != null && !writer.awaitIdle(60_000)) {
            throw new IllegalStateException("disk writes did not finish within a minute");
        }
        memory.cleanUp();
        if (disk != null) {
            disk.cleanUp();
        }
    }

    DiskTier diskTier() {
        return disk;
    }

    MemoryTier memoryTier() {
        return memory;
    }

    @Override
    public void close() {
        loads.shutdownNow();
        if (diskThread != null) {
            diskThread.shutdown();
            try {
                if (!diskThread.awaitTermination(10, TimeUnit.SECONDS)) {
                    diskThread.shutdownNow();
                }
                disk.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                LOG.warn("chunk cache: releasing the disk tier's lock failed: {}", e.toString());
            }
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
