package org.pacsfs.core.fs;

/**
 * What getattr returns: a snapshot of one inode. Times are nanoseconds since the epoch.
 *
 * @param ino        inode number (never reused while the filesystem exists)
 * @param generation inode generation (with ino, a unique identity across the filesystem's life)
 * @param type       file, directory or symlink
 * @param mode       st_mode: {@link FileType#modeBits()} | permission bits (07777)
 * @param nlink      hard links (directories: 2 + subdirectories)
 * @param size       bytes (symlinks: length of the target; directories: a nominal 4096)
 */
public record Attributes(long ino, long generation, FileType type, int mode, int nlink, int uid, int gid, long size,
                         long atimeNs, long mtimeNs, long ctimeNs) {

    public static final int BLOCK_SIZE = 4096;

    /** The permission bits (07777) without the type. */
    public int permissions() {
        return mode & 07777;
    }

    /** st_blocks in 512-byte units (sparse regions are counted, a conservative figure). */
    public long blocks512() {
        return (size + 511) / 512;
    }
}
