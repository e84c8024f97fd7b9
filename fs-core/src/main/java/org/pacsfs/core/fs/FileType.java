package org.pacsfs.core.fs;

/** The kinds of inode pacsfs stores. Devices, FIFOs and sockets are refused by mknod (EPERM/ENOTSUP). */
public enum FileType {
    REGULAR(0100000), DIRECTORY(0040000), SYMLINK(0120000);

    private final int modeBits;

    FileType(int modeBits) {
        this.modeBits = modeBits;
    }

    /** The S_IFMT bits of st_mode for this type. */
    public int modeBits() {
        return modeBits;
    }

    static FileType fromCode(int code) {
        return values()[code];
    }
}
