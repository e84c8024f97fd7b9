package org.pacsfs.core.fs.model;

import java.util.SortedMap;
import org.pacsfs.core.fs.FileType;

/**
 * A whole tree in canonical form, comparable with equals: every path with its type, permissions, link count, size,
 * content (a digest of a file's bytes, a symlink's target), extended attributes (hex values) and link group (the
 * smallest path naming the same inode); plus the inode count and the bytes stored.
 */
public record TreeState(SortedMap<String, Entry> entries, long inodeCount, long bytesStored) {

    public record Entry(FileType type, int perm, int nlink, long size, String content, SortedMap<String, String> xattrs,
                        String linkGroup) {
        @Override
        public String toString() {
            return type + " 0" + Integer.toOctalString(perm) + " nlink=" + nlink + " size=" + size + " content=" + content
                    + (xattrs.isEmpty() ? "" : " xattrs=" + xattrs) + " link=" + linkGroup;
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("inodes=" + inodeCount + " bytes=" + bytesStored + "\n");
        entries.forEach((p, e) -> b.append("  ").append(p).append(": ").append(e).append('\n'));
        return b.toString();
    }
}
