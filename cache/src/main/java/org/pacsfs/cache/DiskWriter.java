package org.pacsfs.cache;

import java.nio.ByteBuffer;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes blocks to the disk tier behind the reader's back, on the disk threads, so that a miss returns as soon as its
 * data is verified. The queue is bounded in bytes: when the disk cannot keep up, blocks are dropped (counted), never queued
 * without bound — the disk tier is an optimisation, the memory bound is not.
 */
final class DiskWriter {
    private final DiskTier disk;
    private final ExecutorService thread;
    private final long maxQueuedBytes;
    private final AtomicLong queued = new AtomicLong();
    final LongAdder dropped = new LongAdder();

    DiskWriter(DiskTier disk, ExecutorService thread, long maxQueuedBytes) {
        this.disk = disk;
        this.thread = thread;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    /** Queues {@code stored} (read-only, not modified by anyone afterwards) for writing as the block of {@code key}. */
    void submit(ChunkKey key, ByteBuffer stored, OptionalInt crc) {
        long n = stored.remaining();
        if (queued.addAndGet(n) > maxQueuedBytes) {
            queued.addAndGet(-n);
            dropped.increment();
            return;
        }
        try {
            thread.execute(() -> {
                try {
                    disk.write(key, stored, crc);
                } finally {
                    queued.addAndGet(-n);
                }
            });
        } catch (RejectedExecutionException e) { // closing
            queued.addAndGet(-n);
        }
    }

    /** Waits until every queued block is written (tests, benchmarks); false if that took longer than {@code millis}. */
    boolean awaitIdle(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (queued.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }
}
