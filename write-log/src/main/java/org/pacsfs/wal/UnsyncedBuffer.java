package org.pacsfs.wal;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A ring of direct memory holding a copy of the newest unsynced records, byte for byte as written, addressed by a
 * <em>logical offset</em>: the position of a byte in the stream of all records the log appended (or rewrote) since it
 * opened, across segments. It holds the logical range {@code [start, end)}, at most {@code capacity} bytes.
 *
 * <p>The log fills it from the page cache just before each force ({@link #putFrom}) and with the records it rewrites,
 * and takes records from it when a force fails, because after an fsync error the page cache can no longer be
 * trusted. When more does not fit, the oldest bytes are dropped ({@code start} advances): records no longer held here
 * are re-read from their segment file and verified (CRC32C and LSN) if they ever need rewriting (see
 * {@link WriteLog}).
 *
 * <p>Logical byte {@code L} lives at ring index {@code L % capacity}. Not thread-safe: guarded by the log's sync
 * lock.
 */
final class UnsyncedBuffer {
    private final ByteBuffer ring;
    private final int capacity;
    private long start;
    private long end;

    UnsyncedBuffer(int capacity) {
        this.capacity = capacity;
        this.ring = ByteBuffer.allocateDirect(capacity);
    }

    /** Empties the ring; the next byte appended will have logical offset {@code logical}. */
    void reset(long logical) {
        start = logical;
        end = logical;
    }

    int capacity() {
        return capacity;
    }

    /** Oldest logical offset still held. */
    long start() {
        return start;
    }

    /** Logical offset of the next byte appended. */
    long end() {
        return end;
    }

    /**
     * Copies {@code src} (position unchanged) to the end of the ring, dropping the oldest bytes if needed;
     * {@code src.remaining()} must not exceed the capacity.
     */
    void put(ByteBuffer src) {
        ByteBuffer s = src.duplicate();
        int len = s.remaining();
        if (len > capacity) {
            throw new IllegalArgumentException(len + " bytes exceed the unsynced buffer of " + capacity);
        }
        start = Math.max(start, end + len - capacity);
        while (s.hasRemaining()) {
            int at = (int) (end % capacity);
            int n = Math.min(s.remaining(), capacity - at);
            ring.put(at, s, s.position(), n);
            s.position(s.position() + n);
            end += n;
        }
    }

    /**
     * Reads {@code length} bytes of {@code segment} at {@code position} into the end of the ring (dropping the oldest
     * bytes if needed; {@code length} must not exceed the capacity). On failure the ring is left holding a prefix.
     */
    void putFrom(LogSegment segment, long position, int length) throws IOException {
        if (length > capacity) {
            throw new IllegalArgumentException(length + " bytes exceed the unsynced buffer of " + capacity);
        }
        start = Math.max(start, end + length - capacity);
        long p = position;
        int left = length;
        while (left > 0) {
            int at = (int) (end % capacity);
            int n = Math.min(left, capacity - at);
            segment.readFully(ring.slice(at, n), p);
            p += n;
            left -= n;
            end += n;
        }
    }

    /** Read-only views of the logical range {@code [from, to)} (which must be held), at most two: the ring wraps. */
    ByteBuffer[] slices(long from, long to) {
        if (from < start || to > end || from > to) {
            throw new IllegalStateException("range " + from + ".." + to + " is not held (" + start + ".." + end + ")");
        }
        int a = (int) (from % capacity);
        int len = (int) (to - from);
        if (a + len <= capacity) {
            return new ByteBuffer[] {ring.slice(a, len).asReadOnlyBuffer()};
        }
        int first = capacity - a;
        return new ByteBuffer[] {ring.slice(a, first).asReadOnlyBuffer(), ring.slice(0, len - first).asReadOnlyBuffer()};
    }

    /** A heap copy of the logical range {@code [from, to)}, which must be held. */
    ByteBuffer copy(long from, long to) {
        ByteBuffer out = ByteBuffer.allocate((int) (to - from));
        for (ByteBuffer s : slices(from, to)) {
            out.put(s);
        }
        return out.flip();
    }
}
