package org.pacsfs.core.fs;

import java.util.Objects;

/**
 * What a {@link FileSystem} operation reports when it fails. Each exception carries the errno the FUSE adapter
 * returns; the message names the path or handle and what was wrong. Expected outcomes ({@link NotFound} on a lookup)
 * are ordinary results, not faults: log them at debug at most.
 *
 * <p>The hierarchy is small on purpose: callers branch on the errno, tests on the subclass.
 */
public abstract sealed class FsException extends Exception
        permits FsException.NotFound, FsException.Exists, FsException.Invalid, FsException.Denied,
        FsException.NoSpace, FsException.Io {

    private final Errno errno;

    /**
     * Expected outcomes (ENOENT on a lookup, EEXIST, EACCES, ENODATA for the {@code security.capability} the kernel
     * asks for before every write...) are frequent results, and filling in a stack trace through the FUSE upcall's
     * deep stack costs more than the lookup itself: only EIO, a fault worth investigating, records where it arose.
     */
    private FsException(Errno errno, String message, Throwable cause) {
        super(message, cause, true, errno == Errno.EIO);
        this.errno = Objects.requireNonNull(errno);
    }

    public Errno errno() {
        return errno;
    }

    /** ENOENT: a path component, handle target or attribute owner does not exist. */
    public static final class NotFound extends FsException {
        public NotFound(String message) {
            super(Errno.ENOENT, message, null);
        }
    }

    /** EEXIST: the name is taken (exclusive create, mkdir, link, symlink, RENAME_NOREPLACE, XATTR_CREATE). */
    public static final class Exists extends FsException {
        public Exists(String message) {
            super(Errno.EEXIST, message, null);
        }
    }

    /**
     * The request does not fit the object it names: ENOTDIR, EISDIR, ENOTEMPTY, ENAMETOOLONG, EINVAL, ELOOP, EMLINK,
     * EBADF, ENODATA, ERANGE, E2BIG, EXDEV, EFBIG, EILSEQ or ENOTSUP.
     */
    public static final class Invalid extends FsException {
        public Invalid(Errno errno, String message) {
            super(errno, message, null);
        }
    }

    /** EACCES, EPERM or EROFS: the request is well-formed but not allowed. */
    public static final class Denied extends FsException {
        public Denied(Errno errno, String message) {
            super(errno, message, null);
        }
    }

    /** ENOSPC: the configured capacity, the index or the write-log has no room. Nothing was changed. */
    public static final class NoSpace extends FsException {
        public NoSpace(String message, Throwable cause) {
            super(Errno.ENOSPC, message, cause);
        }
    }

    /** EIO: a local I/O failure or a failed integrity check; the cause says which. Never "other bytes". */
    public static final class Io extends FsException {
        public Io(String message, Throwable cause) {
            super(Errno.EIO, message, cause);
        }
    }

    static Invalid invalid(Errno errno, String message) {
        return new Invalid(errno, message);
    }
}
