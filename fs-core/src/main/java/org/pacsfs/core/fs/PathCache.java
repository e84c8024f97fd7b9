package org.pacsfs.core.fs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounded cache of path -> inode resolutions (jnr-fuse hands every operation a full path).
 *
 * <p>Correctness rule: a resolution is only cached if no name was removed or renamed while it was computed. Removers
 * bump {@link #version} and then invalidate what they affected (one path for a file, everything for a directory
 * rename); a resolver checks the version before walking and again after inserting, and takes its entry out again if
 * the version moved. So a stale entry can never outlive the removal that made it stale.
 */
final class PathCache {
    record Child(long ino, FileType type) {
    }

    private final Cache<String, Child> cache;
    private final AtomicLong version = new AtomicLong();

    PathCache(int entries) {
        this.cache = Caffeine.newBuilder().maximumSize(entries).build();
    }

    long version() {
        return version.get();
    }

    Child get(String path) {
        return cache.getIfPresent(path);
    }

    void putIfUnchanged(String path, Child child, long versionBeforeWalk) {
        if (version.get() != versionBeforeWalk) {
            return;
        }
        cache.put(path, child);
        if (version.get() != versionBeforeWalk) {
            cache.invalidate(path);
        }
    }

    /** A file name was removed or now refers to another inode. */
    void removed(String path) {
        version.incrementAndGet();
        cache.invalidate(path);
    }

    /** A directory was renamed or replaced: every path below it changed. */
    void removedTree() {
        version.incrementAndGet();
        cache.invalidateAll();
    }
}
