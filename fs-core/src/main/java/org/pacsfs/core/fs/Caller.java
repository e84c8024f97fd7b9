package org.pacsfs.core.fs;

/**
 * Who asked: the FUSE request's uid, gid and pid. New inodes are owned by the caller; {@link FileSystem#access}
 * answers for the caller. (Permission checks on other operations are the kernel's, see docs/SEMANTICS.md.)
 */
public record Caller(int uid, int gid, long pid) {
    public static final Caller ROOT = new Caller(0, 0, 0);
    /** For operations whose caller fs-core is not told (recorded as uid/gid/pid -1). */
    public static final Caller UNKNOWN = new Caller(-1, -1, -1);
}
