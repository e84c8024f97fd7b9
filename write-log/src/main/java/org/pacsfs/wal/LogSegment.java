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
    /** The file's name: {@code .wal.tmp} while the segment is not committed yet (see {@link #createPending}). */
    private volatile Path path;
    private final FileChannel channel;
    private volatile boolean committed = true;
    private volatile boolean released;
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

    /**
     * Creates segment {@code id} as an uncommitted {@code .wal.tmp} file holding its header, without forcing anything:
     * the cheap roll on the append path. Recovery deletes {@code .wal.tmp} files, so the segment is invisible after a
     * crash until {@link #commit} renames it, which the log does only once every earlier segment and this one are
     * forced. Until then its records are not durable, which is all a roll needs: none of them was synced.
     */
    static LogSegment createPending(Path dir, long id, long firstLsn, ChannelFactory factory) throws IOException {
        Path tmp = dir.resolve(fileName(id) + ".tmp");
        FileChannel c = factory.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE));
        try {
            writeFully(c, new SegmentHeader(id, firstLsn).encode(), 0);
        } catch (IOException e) {
            try {
                c.close();
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        LogSegment s = new LogSegment(id, firstLsn, tmp, c, SegmentHeader.SIZE, firstLsn - 1);
        s.committed = false;
        return s;
    }

    /**
     * Renames an uncommitted segment to its final name (the caller forced it and every earlier segment, and forces
     * the directory afterwards). No-op if committed or released. Synchronized with {@link #releaseAndDelete}.
     *
     * @return true if it renamed the file (the directory needs a force)
     */
    synchronized boolean commit(Path dir) throws IOException {
        if (committed || released) {
            return false;
        }
        Path target = dir.resolve(fileName(id));
        Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
        path = target;
        committed = true;
        return true;
    }

    boolean committed() {
        return committed;
    }

    boolean released() {
        return released;
    }

    /** Marks the segment released: the log no longer forces, commits or reads it for a rewrite. */
    void markReleased() {
        released = true;
    }

    /** Marks the segment released, closes it and deletes its file (whatever its current name). */
    synchronized void releaseAndDelete() throws IOException {
        released = true;
        closeQuietly();
        Files.deleteIfExists(path);
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
