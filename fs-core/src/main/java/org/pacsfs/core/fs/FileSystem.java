package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The filesystem the FUSE adapter calls: POSIX semantics over absolute, '/'-separated paths (jnr-fuse is path based)
 * and over handles returned by {@link #open}, {@link #create} and {@link #opendir}. What holds exactly is in
 * docs/SEMANTICS.md.
 *
 * <p>Every mutation is one write-log record before it is visible; it is durable once {@link #fsync} of the file (or
 * any later fsync, the log being sequential) returns. Operations on different inodes run in parallel; operations on
 * one inode are serialized. Names are at most 255 bytes of UTF-8; paths are resolved without following symlinks
 * (the kernel resolves them before calling FUSE).
 *
 * <p>The {@link Caller} of a mutation (the FUSE request's uid/gid/pid) is recorded with it in the write-log and the
 * metadata log, where {@code pacsfs versions} and history show it; the overloads without one record
 * {@link Caller#UNKNOWN}, for in-process callers acting for nobody in particular (tools, tests).
 *
 * <p>All methods are thread-safe. Handles are plain numbers: a handle used after {@link #release} fails with EBADF.
 */
public interface FileSystem extends AutoCloseable {

    /** lstat(2) of a path. */
    Attributes getattr(String path) throws FsException;

    /** fstat(2) of an open handle, also after its file was unlinked. */
    Attributes getattr(long fh) throws FsException;

    /**
     * access(2) from the mode bits for {@code caller} ({@link OpenFlags#R_OK} etc.; root passes read/write always
     * and execute when any x bit is set). EACCES if not allowed.
     */
    void access(String path, int mask, Caller caller) throws FsException;

    Attributes mkdir(String path, int mode, Caller caller) throws FsException;

    /** ENOTEMPTY if the directory has entries, EINVAL for "/", ENOTDIR for a non-directory. */
    void rmdir(String path, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void rmdir(String path) throws FsException {
        rmdir(path, Caller.UNKNOWN);
    }

    /**
     * Creates and opens a regular file. With {@link OpenFlags#O_EXCL} exactly one of concurrent creators succeeds and
     * the others get EEXIST; without it an existing file is opened (and truncated with O_TRUNC).
     *
     * @return the handle
     */
    long create(String path, int mode, int flags, Caller caller) throws FsException;

    /** Opens an existing file (EISDIR for directories when writing). O_TRUNC truncates, O_APPEND appends. */
    long open(String path, int flags, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default long open(String path, int flags) throws FsException {
        return open(path, flags, Caller.UNKNOWN);
    }

    /** Reads up to {@code dst.remaining()} bytes at {@code offset}; fewer at end of file, 0 at or past it. */
    int read(long fh, long offset, ByteBuffer dst) throws FsException;

    /**
     * Writes all of {@code src} at {@code offset}, or at the current end of file for handles opened with O_APPEND
     * (atomically with respect to other writers). Writing past the end leaves a hole that reads as zeros.
     *
     * @return the number of bytes written (all of them)
     */
    int write(long fh, long offset, ByteBuffer src, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default int write(long fh, long offset, ByteBuffer src) throws FsException {
        return write(fh, offset, src, Caller.UNKNOWN);
    }

    /** close(2) of one file descriptor sharing the handle: nothing to do, data is already in the log. */
    void flush(long fh) throws FsException;

    /** Last close of the handle. An unlinked file disappears with its last handle. */
    void release(long fh, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void release(long fh) throws FsException {
        release(fh, Caller.UNKNOWN);
    }

    /** fsync/fdatasync: the log is forced up to the file's last record (its data and its name). */
    void fsync(long fh, boolean dataOnly) throws FsException;

    void truncate(String path, long size, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void truncate(String path, long size) throws FsException {
        truncate(path, size, Caller.UNKNOWN);
    }

    void truncate(long fh, long size, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void truncate(long fh, long size) throws FsException {
        truncate(fh, size, Caller.UNKNOWN);
    }

    /**
     * rename(2)/renameat2: atomic. An existing target is replaced as POSIX says (file over file, empty directory over
     * directory); with {@link OpenFlags#RENAME_NOREPLACE} an existing target is EEXIST. RENAME_EXCHANGE is EINVAL.
     */
    void rename(String from, String to, int flags, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void rename(String from, String to, int flags) throws FsException {
        rename(from, to, flags, Caller.UNKNOWN);
    }

    void unlink(String path, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void unlink(String path) throws FsException {
        unlink(path, Caller.UNKNOWN);
    }

    Attributes symlink(String target, String linkPath, Caller caller) throws FsException;

    String readlink(String path) throws FsException;

    /** A hard link; directories cannot be linked (EPERM). */
    Attributes link(String existing, String newPath, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default Attributes link(String existing, String newPath) throws FsException {
        return link(existing, newPath, Caller.UNKNOWN);
    }

    void chmod(String path, int mode, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void chmod(String path, int mode) throws FsException {
        chmod(path, mode, Caller.UNKNOWN);
    }

    /** -1 leaves that id unchanged. */
    void chown(String path, int uid, int gid, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void chown(String path, int uid, int gid) throws FsException {
        chown(path, uid, gid, Caller.UNKNOWN);
    }

    /** Times in ns since the epoch, or {@link OpenFlags#UTIME_NOW} / {@link OpenFlags#UTIME_OMIT}. */
    void utimens(String path, long atimeNs, long mtimeNs, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void utimens(String path, long atimeNs, long mtimeNs) throws FsException {
        utimens(path, atimeNs, mtimeNs, Caller.UNKNOWN);
    }

    /** Opens a directory for listing; the listing is a snapshot taken now (and again on readdir at offset 0). */
    long opendir(String path) throws FsException;

    /**
     * Up to {@code max} entries after {@code offset} (0 = from the start, then {@link DirEntry#nextOffset()}).
     * Offsets stay valid however the directory changes meanwhile; an empty list means the end.
     */
    List<DirEntry> readdir(long dh, long offset, int max) throws FsException;

    void releasedir(long dh) throws FsException;

    /** fsync of a directory: its entries are durable when this returns. */
    void fsyncdir(long dh, boolean dataOnly) throws FsException;

    /** ENODATA if absent. */
    byte[] getxattr(String path, String name) throws FsException;

    /** flags: 0, {@link OpenFlags#XATTR_CREATE} or {@link OpenFlags#XATTR_REPLACE}. */
    void setxattr(String path, String name, byte[] value, int flags, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void setxattr(String path, String name, byte[] value, int flags) throws FsException {
        setxattr(path, name, value, flags, Caller.UNKNOWN);
    }

    List<String> listxattr(String path) throws FsException;

    void removexattr(String path, String name, Caller caller) throws FsException;

    /** As above, on behalf of no particular caller (recorded as {@link Caller#UNKNOWN}). */
    default void removexattr(String path, String name) throws FsException {
        removexattr(path, name, Caller.UNKNOWN);
    }

    StatFs statfs() throws FsException;

    /** Makes everything durable and closes the local state cleanly (the next open trusts the index). */
    @Override
    void close() throws FsException;
}
