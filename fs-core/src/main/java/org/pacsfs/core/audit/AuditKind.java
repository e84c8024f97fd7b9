package org.pacsfs.core.audit;

import java.util.List;

/**
 * What an audit event records. The code is stored (docs/FORMAT.md, audit segments); {@link #values()} names the numbers
 * an event of that kind carries, in order.
 */
public enum AuditKind {
    /** open(2) of an existing file; path. */
    OPEN(1, "flags"),
    /** creat(2) / open with O_CREAT that made the file, or mknod; path. */
    CREATE(2, "flags", "mode"),
    /**
     * The last close of a handle: what was read and written through it, aggregated (one event per open, not per read
     * or write call); path as opened. Times are ms since the epoch, 0 when there was no read or write.
     */
    CLOSE(3, "bytesRead", "bytesWritten", "reads", "writes", "firstIoMs", "lastIoMs"),
    /** unlink(2); path. */
    UNLINK(4),
    /** rename(2); path, path2 = the new name. */
    RENAME(5),
    /** truncate(2) or ftruncate(2); path. */
    TRUNCATE(6, "size"),
    /** chmod(2); path. */
    CHMOD(7, "mode"),
    /** chown(2); path; -1 = unchanged. */
    CHOWN(8, "uid", "gid"),
    /** utimens / touch; path. */
    UTIMENS(9),
    /** mkdir(2); path. */
    MKDIR(10, "mode"),
    /** rmdir(2); path. */
    RMDIR(11),
    /** symlink(2); path = the link, path2 = its target. */
    SYMLINK(12),
    /** link(2); path = the existing name, path2 = the new name. */
    LINK(13),
    /** setxattr(2); path, path2 = the attribute name. */
    SETXATTR(14),
    /** removexattr(2); path, path2 = the attribute name. */
    REMOVEXATTR(15);

    private final int code;
    private final List<String> values;

    AuditKind(int code, String... values) {
        this.code = code;
        this.values = List.of(values);
    }

    public int code() {
        return code;
    }

    /** The names of the numbers an event of this kind carries. */
    public List<String> valueNames() {
        return values;
    }

    /** The kind with this code, or null for a code this version does not know. */
    public static AuditKind ofCode(int code) {
        for (AuditKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
