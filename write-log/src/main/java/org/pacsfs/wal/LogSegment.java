package org.pacsfs.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One segment file: {@code <20-digit id>.wal}. Holds the records with LSNs {@link #firstLsn()} ..
 * {@link #lastLsn()} at byte positions {@link SegmentHeader#SIZE} .. {@link #end()}.
 *
 * <p>Thread-safety: {@link #end()}, {@link #lastLsn()} and {@link #sizeOnDisk()} are volatile and only changed by the
 * {@link WriteLog} under its append lock, after the bytes they cover were written; readers may read records below
 * {@code end()} concurrently with appends (positional reads on the shared channel).
 */
final class LogSegment {
    /** A sparse LSN -> position entry is kept every this many bytes, so that seeking an LSN scans little. */
    static final long INDEX_INTERVAL = 64 << 10;

    private final long id;
    private final long firstLsn;
    private final Path path;
    private final FileChannel channel;
    private final ConcurrentSkipListMap<Long, Long> sparseIndex = new ConcurrentSkipListMap<>();
    private volatile long end;
    private volatile long lastLsn;
    private volatile long sizeOnDisk;
    private long lastIndexedPosition = Long.MIN_VALUE;

    LogSegment(long id, long firstLsn, Path path, FileChannel channel, long end, long lastLsn) {
        this.id = id;
        this.firstLsn = firstLsn;
        this.path = path;
        this.channel = channel;
        this.end = end;
        this.lastLsn = lastLsn;
        this.sizeOnDisk = end;
    }

    static String fileName(long id) {
        return String.format("%020d.wal", id);
    }

    /** Parses a segment file name; -1 if {@code name} is not one. */
    static long idOf(String name) {
        if (!name.matches("\\d{20}\\.wal")) {
            return -1;
        }
        return Long.parseLong(name.substring(0, 20));
    }

    /**
     * Creates segment {@code id} so that it is never seen half-made: the header is written to a temporary file, forced,
     * renamed into place, and the directory is forced.
     */
    static LogSegment create(Path dir, long id, long firstLsn, ChannelFactory factory) throws IOException {
        Path target = dir.resolve(fileName(id));
        Path tmp = dir.resolve(fileName(id) + ".tmp");
        try (FileChannel c = factory.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))) {
            writeFully(c, new SegmentHeader(id, firstLsn).encode(), 0);
            c.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(dir);
        return open(target, id, firstLsn, SegmentHeader.SIZE, firstLsn - 1, factory);
    }

    static LogSegment open(Path path, long id, long firstLsn, long end, long lastLsn, ChannelFactory factory) throws IOException {
        FileChannel c = factory.open(path, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        return new LogSegment(id, firstLsn, path, c, end, lastLsn);
    }

    /** Makes creations, renames and deletions in {@code dir} durable (Linux: fsync of the directory). */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    static void writeFully(FileChannel c, ByteBuffer src, long position) throws IOException {
        long p = position;
        while (src.hasRemaining()) {
            p += c.write(src, p);
        }
    }

    /** Reads exactly {@code dst.remaining()} bytes at {@code position}; fails at end of file. */
    void readFully(ByteBuffer dst, long position) throws IOException {
        long p = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, p);
            if (n < 0) {
                throw new WriteLogException("unexpected end of " + path + " at byte " + p);
            }
            p += n;
        }
    }

    /** Records an LSN -> position entry if the last one is far enough behind. Caller: the single writer. */
    void maybeIndex(long lsn, long position) {
        if (position - lastIndexedPosition >= INDEX_INTERVAL) {
            sparseIndex.put(lsn, position);
            lastIndexedPosition = position;
        }
    }

    /** The position of a record with LSN <= {@code lsn} from which a scan can start. */
    long seekHint(long lsn) {
        Map.Entry<Long, Long> e = sparseIndex.floorEntry(lsn);
        return e == null ? SegmentHeader.SIZE : e.getValue();
    }

    /** Position and LSN after an append or a truncation. Caller holds the log's append lock. */
    void advance(long newEnd, long newLastLsn) {
        end = newEnd;
        lastLsn = newLastLsn;
        sizeOnDisk = Math.max(sizeOnDisk, newEnd);
    }

    /**
     * Shrinks the valid range to the synced prefix after the log moved the rest elsewhere; the bytes beyond stay in
     * the file (counted in {@link #sizeOnDisk()}) until the segment is deleted, and recovery truncates them.
     */
    void supersedeAfter(long validEnd, long validLastLsn) {
        end = validEnd;
        lastLsn = validLastLsn;
        sparseIndex.tailMap(validLastLsn, false).clear();
    }

    void noteWrittenUpTo(long position) {
        sizeOnDisk = Math.max(sizeOnDisk, position);
    }

    long id() {
        return id;
    }

    long firstLsn() {
        return firstLsn;
    }

    Path path() {
        return path;
    }

    FileChannel channel() {
        return channel;
    }

    long end() {
        return end;
    }

    long lastLsn() {
        return lastLsn;
    }

    long sizeOnDisk() {
        return sizeOnDisk;
    }

    boolean holds(long lsn) {
        return lsn >= firstLsn && lsn <= lastLsn;
    }

    void closeQuietly() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing a read/write channel whose data is already forced or abandoned loses nothing.
        }
    }

    @Override
    public String toString() {
        return "segment " + id + " (" + path + ", LSN " + firstLsn + ".." + lastLsn + ", " + end + " bytes)";
    }
}
