package org.pacsfs.core.fs;

/**
 * One entry returned by {@link FileSystem#readdir}.
 *
 * @param name       the entry name ("." and ".." included)
 * @param ino        its inode number
 * @param type       its type
 * @param nextOffset the offset to pass to readdir to continue after this entry
 */
public record DirEntry(String name, long ino, FileType type, long nextOffset) {
}
