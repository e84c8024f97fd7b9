package org.pacsfs.core.fs;

/** Linux open(2) flag values as FUSE passes them in {@code fi->flags}. */
public final class OpenFlags {
    public static final int O_ACCMODE = 03;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;

    /** rename(2) flags (renameat2). */
    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;

    /** setxattr(2) flags. */
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;

    /** access(2) mask bits. */
    public static final int F_OK = 0;
    public static final int X_OK = 1;
    public static final int W_OK = 2;
    public static final int R_OK = 4;

    /** utimens special values for the nanosecond arguments. */
    public static final long UTIME_NOW = -1;
    public static final long UTIME_OMIT = -2;

    private OpenFlags() {
    }

    public static boolean writable(int flags) {
        int acc = flags & O_ACCMODE;
        return acc == O_WRONLY || acc == O_RDWR;
    }

    public static boolean readable(int flags) {
        int acc = flags & O_ACCMODE;
        return acc == O_RDONLY || acc == O_RDWR;
    }
}
