package org.pacsfs.core.fs;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pacsfs.cache.ChunkKey;

/**
 * Read-ahead per open file handle. A handle whose reads continue where the previous one ended (within {@link #SLACK},
 * since the kernel may deliver its own read-ahead slightly out of order), or that starts at offset 0, is sequential:
 * the chunks of the next {@code window} bytes are pinned and fetched by parallel background GETs, topped up as the
 * reader advances. Each time the reader has read a quarter window sequentially since the window last grew,
 * it kept up, and the window doubles up to {@code maxPerFile}. A read elsewhere
 * is random: its pins are dropped, the window shrinks to the start size and nothing is prefetched until reads are
 * sequential again. Overall, pinned chunks are bounded by {@link PinnedChunks}.
 *
 * <p>{@link #onRead} is called after each read under the inode's read lock, so the extent maps it walks are stable;
 * the GETs it starts run on the cache's load threads.
 */
final class ReadAhead {
    /** Reads that start this close to where the previous read ended still count as sequential. */
    static final long SLACK = 1L << 20;
    /** The first window of a sequential reader (or less if maxPerFile is smaller). */
    static final long START_WINDOW = 8L << 20;
    /** Read-ahead is topped up when at least this much (or a quarter of the window) is missing from the window. */
    static final long TOP_UP = 4L << 20;

    /** One pinned chunk and the file offset its extents end at (when the reader is past it, it is unpinned). */
    private record Held(ChunkKey key, long fileEnd) {
    }

    private static final class Stream {
        long expected;
        long window;
        long progress;
        long issuedTo;
        final ArrayDeque<Held> held = new ArrayDeque<>();
    }

    private final LocalIndex index;
    private final ChunkReader chunks;
    private final PinnedChunks pins;
    private final long maxPerFile;
    private final Map<Long, Stream> streams = new ConcurrentHashMap<>();

    ReadAhead(LocalIndex index, ChunkReader chunks, PinnedChunks pins, long maxPerFile) {
        this.index = index;
        this.chunks = chunks;
        this.pins = pins;
        this.maxPerFile = maxPerFile;
    }

    /** Notes a read of {@code n} bytes at {@code offset} through handle {@code fh} of {@code ino} (file size {@code size}). */
    void onRead(long fh, long ino, long offset, int n, long size) {
        if (maxPerFile == 0) {
            return;
        }
        Stream s = streams.computeIfAbsent(fh, k -> newStream());
        synchronized (s) {
            long end = offset + n;
            if (Math.abs(offset - s.expected) > SLACK) {
                reset(s);
                s.expected = end;
                return;
            }
            s.expected = Math.max(s.expected, end);
            while (!s.held.isEmpty() && s.held.peekFirst().fileEnd() <= offset) {
                pins.unpin(s.held.pollFirst().key());
            }
            s.issuedTo = Math.max(s.issuedTo, end);
            s.progress += n;
            if (s.progress >= s.window / 4) { // a quarter window read sequentially since the last growth: it keeps up
                s.window = Math.min(maxPerFile, s.window * 2);
                s.progress = 0;
            }
            long target = Math.min(size, end + s.window);
            // Top up as soon as a chunk's worth is missing, so that the link stays busy, not only at half-window marks.
            if (target - s.issuedTo >= Math.min(s.window / 4, TOP_UP) || (target == size && s.issuedTo < size)) {
                issue(s, ino, target);
            }
        }
    }

    /** Forgets handle {@code fh} (released) and drops its pins. */
    void closed(long fh) {
        Stream s = streams.remove(fh);
        if (s != null) {
            synchronized (s) {
                reset(s);
            }
        }
    }

    private Stream newStream() {
        Stream s = new Stream();
        s.window = Math.min(START_WINDOW, maxPerFile);
        return s;
    }

    private void reset(Stream s) {
        while (!s.held.isEmpty()) {
            pins.unpin(s.held.pollFirst().key());
        }
        s.window = Math.min(START_WINDOW, maxPerFile);
        s.progress = 0;
        s.issuedTo = 0;
    }

    /** Pins the chunks of [s.issuedTo, to) in file order, until the pins' bound refuses one. */
    private void issue(Stream s, long ino, long to) {
        long pos = s.issuedTo;
        while (pos < to) {
            long block = pos >>> ExtentList.BLOCK_SHIFT;
            long blockStart = block << ExtentList.BLOCK_SHIFT;
            int from = (int) (pos - blockStart);
            int until = (int) Math.min(ExtentList.BLOCK_SIZE, to - blockStart);
            for (Extent e : index.extents(ino, block).within(from, until)) {
                if (e.source() != Extent.SOURCE_CHUNK) {
                    continue;
                }
                long fileEnd = blockStart + e.end();
                ChunkKey key = new ChunkKey(e.segmentId(), e.position());
                Held last = s.held.peekLast();
                if (last != null && last.key().equals(key)) {
                    s.held.pollLast();
                    s.held.addLast(new Held(key, Math.max(fileEnd, last.fileEnd())));
                    continue;
                }
                int length = chunks.rawLength(key);
                if (length < 0 || !pins.pin(key, length, () -> chunks.prefetch(key))) {
                    s.issuedTo = blockStart + e.start(); // over the bound (or unknown): try again on a later read
                    return;
                }
                s.held.addLast(new Held(key, fileEnd));
            }
            pos = blockStart + until;
        }
        s.issuedTo = to;
    }
}
