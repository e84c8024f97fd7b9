package org.pacsfs.core.fs;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open file and directory handles. Handle numbers are never reused while the filesystem is open, so a stale handle
 * is always EBADF rather than someone else's file. Open counts per inode decide when an unlinked file disappears;
 * they are changed only under the inode's write lock.
 */
final class Handles {
    record OpenFile(long ino, int flags) {
        boolean append() {
            return (flags & OpenFlags.O_APPEND) != 0;
        }
    }

    static final class OpenDir {
        final long ino;
        final long parentIno;
        volatile List<DirEntry> snapshot;

        OpenDir(long ino, long parentIno) {
            this.ino = ino;
            this.parentIno = parentIno;
        }
    }

    private final AtomicLong next = new AtomicLong(1);
    private final Map<Long, OpenFile> files = new ConcurrentHashMap<>();
    private final Map<Long, OpenDir> dirs = new ConcurrentHashMap<>();
    private final Map<Long, Integer> openCounts = new ConcurrentHashMap<>();
    /** Opens for writing per inode: a file open for writing is not yet write-once (WORM). */
    private final Map<Long, Integer> writerCounts = new ConcurrentHashMap<>();

    /** Registers an open of {@code ino}; call under its write lock. */
    long open(long ino, int flags) {
        long fh = next.getAndIncrement();
        openCounts.merge(ino, 1, Integer::sum);
        if (OpenFlags.writable(flags)) {
            writerCounts.merge(ino, 1, Integer::sum);
        }
        files.put(fh, new OpenFile(ino, flags));
        return fh;
    }

    OpenFile file(long fh) throws FsException {
        OpenFile f = files.get(fh);
        if (f == null) {
            throw FsException.invalid(Errno.EBADF, "file handle " + fh + " is not open");
        }
        return f;
    }

    OpenFile remove(long fh) throws FsException {
        OpenFile f = files.remove(fh);
        if (f == null) {
            throw FsException.invalid(Errno.EBADF, "file handle " + fh + " is not open");
        }
        if (OpenFlags.writable(f.flags())) {
            writerCounts.computeIfPresent(f.ino(), (k, v) -> v == 1 ? null : v - 1);
        }
        return f;
    }

    /** Drops one open of {@code ino}; call under its write lock. Returns the opens left. */
    int closed(long ino) {
        Integer left = openCounts.computeIfPresent(ino, (k, v) -> v == 1 ? null : v - 1);
        return left == null ? 0 : left;
    }

    boolean isOpenForWriting(long ino) {
        return writerCounts.containsKey(ino);
    }

    boolean isOpen(long ino) {
        return openCounts.containsKey(ino);
    }

    List<Long> openFileHandles() {
        return List.copyOf(files.keySet());
    }

    long openDir(long ino, long parentIno) {
        long dh = next.getAndIncrement();
        dirs.put(dh, new OpenDir(ino, parentIno));
        return dh;
    }

    OpenDir dir(long dh) throws FsException {
        OpenDir d = dirs.get(dh);
        if (d == null) {
            throw FsException.invalid(Errno.EBADF, "directory handle " + dh + " is not open");
        }
        return d;
    }

    void closeDir(long dh) throws FsException {
        if (dirs.remove(dh) == null) {
            throw FsException.invalid(Errno.EBADF, "directory handle " + dh + " is not open");
        }
    }
}
