package org.pacsfs.core.fs;

/**
 * access(2) from mode bits, as the kernel's generic_permission does it without ACLs: owner class, else group class,
 * else others; root may read and write anything and execute anything with at least one x bit (or any directory).
 * Supplementary groups are not known to fs-core, so only the caller's primary gid counts.
 */
final class Permissions {
    private Permissions() {
    }

    static boolean allows(Inode in, int mask, Caller caller) {
        int want = mask & 07;
        if (want == 0) {
            return true;
        }
        if (caller.uid() == 0) {
            boolean exec = (want & OpenFlags.X_OK) == 0 || in.isDir() || (in.perm() & 0111) != 0;
            return exec;
        }
        int bits;
        if (caller.uid() == in.uid()) {
            bits = (in.perm() >> 6) & 07;
        } else if (caller.gid() == in.gid()) {
            bits = (in.perm() >> 3) & 07;
        } else {
            bits = in.perm() & 07;
        }
        return (bits & want) == want;
    }
}
