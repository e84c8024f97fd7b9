package org.pacsfs.core.audit;

import org.pacsfs.core.fs.Caller;

/**
 * Where the FUSE adapter reports accesses. Calls come from many FUSE threads at once and must return at once: an
 * implementation never blocks on I/O (see {@link AuditTrail}).
 */
public interface AuditSink {

    /** A namespace or attribute operation, or an open that failed (no handle then). */
    void event(AuditKind kind, Caller who, String path, String path2, long ino, int errno, long... values);

    /** A successful open or create: records it and starts counting the handle's reads and writes. */
    void opened(long fh, AuditKind kind, Caller who, String path, long ino, long... values);

    /** {@code bytes} read through handle {@code fh}: only counted (see {@link AuditKind#CLOSE}). */
    void read(long fh, long bytes);

    /** {@code bytes} written through handle {@code fh}: only counted. */
    void wrote(long fh, long bytes);

    /** The last close of a handle: records what was read and written through it. */
    void released(long fh);

    /** The path handle {@code fh} was opened with, or null (for handle operations whose path FUSE does not pass). */
    String pathOf(long fh);
}
