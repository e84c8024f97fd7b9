package org.pacsfs.fuse;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Reusable byte arrays for the copy between FUSE's native buffers and fs-core: requests are at most 128 KiB
 * ({@code max_write}/{@code max_read}), and allocating one array per request would be the adapter's main garbage.
 * Bounded: at most {@code capacity} arrays are kept, larger requests get a fresh array. Thread-safe without
 * thread-locals (libfuse's worker threads come and go).
 */
final class BufferPool {

    private final ArrayBlockingQueue<byte[]> free;
    private final int size;

    BufferPool(int capacity, int size) {
        this.free = new ArrayBlockingQueue<>(capacity);
        this.size = size;
    }

    byte[] take(int length) {
        if (length > size) {
            return new byte[length];
        }
        byte[] b = free.poll();
        return b != null ? b : new byte[size];
    }

    void give(byte[] b) {
        if (b.length == size) {
            free.offer(b);
        }
    }
}
