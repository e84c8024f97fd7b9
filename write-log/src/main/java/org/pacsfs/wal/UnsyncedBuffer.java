package org.pacsfs.wal;

import java.nio.ByteBuffer;

/**
 * A ring of direct memory mirroring the byte range {@code [start, end)} of the active segment file that is written
 * but not yet forced. It serves two purposes: appends are written to the file from here (a direct buffer, so the
 * JDK makes no second copy), and after a failed force the records are rewritten to a new segment from here, because
 * after an fsync error the page cache can no longer be trusted.
 *
 * <p>Byte at file position {@code p} lives at ring index {@code p % capacity}. Not thread-safe: guarded by the
 * log's append lock.
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

    /** Empties the ring; the next byte appended will be at file position {@code position}. */
    void reset(long position) {
        start = position;
        end = position;
    }

    int used() {
        return (int) (end - start);
    }

    int capacity() {
        return capacity;
    }

    long start() {
        return start;
    }

    long end() {
        return end;
    }

    boolean fits(int bytes) {
        return used() + (long) bytes <= capacity;
    }

    /** Copies {@code src} (position unchanged) to the end of the ring; the caller checked {@link #fits}. */
    void put(ByteBuffer src) {
        ByteBuffer s = src.duplicate();
        while (s.hasRemaining()) {
            int at = (int) (end % capacity);
            int n = Math.min(s.remaining(), capacity - at);
            ByteBuffer part = s.duplicate();
            part.limit(part.position() + n);
            ring.put(at, part, part.position(), n);
            s.position(s.position() + n);
            end += n;
        }
    }

    /** Drops the bytes from {@code position} on, after a failed write. */
    void truncate(long position) {
        end = Math.max(start, Math.min(end, position));
    }

    /** Frees the bytes before {@code position}, after a successful force. */
    void release(long position) {
        start = Math.min(end, Math.max(start, position));
    }

    /** Read-only views of the file range {@code [from, to)}, at most two because the ring wraps. */
    ByteBuffer[] slices(long from, long to) {
        int a = (int) (from % capacity);
        int len = (int) (to - from);
        if (a + len <= capacity) {
            return new ByteBuffer[] {ring.slice(a, len).asReadOnlyBuffer()};
        }
        int first = capacity - a;
        return new ByteBuffer[] {ring.slice(a, first).asReadOnlyBuffer(), ring.slice(0, len - first).asReadOnlyBuffer()};
    }

    /** A heap copy of the file range {@code [from, to)}. */
    ByteBuffer copy(long from, long to) {
        ByteBuffer out = ByteBuffer.allocate((int) (to - from));
        for (ByteBuffer s : slices(from, to)) {
            out.put(s);
        }
        return out.flip();
    }
}
