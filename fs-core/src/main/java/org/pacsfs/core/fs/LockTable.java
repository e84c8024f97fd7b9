package org.pacsfs.core.fs;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Striped read/write locks by inode number. Several inodes are always locked in ascending stripe order, which is what
 * keeps operations that lock more than one inode (rename, link, unlink) from deadlocking.
 */
final class LockTable {
    private static final int STRIPES = 4096;
    private final ReentrantReadWriteLock[] locks = new ReentrantReadWriteLock[STRIPES];

    LockTable() {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantReadWriteLock();
        }
    }

    /** Held locks; {@link #close()} releases them. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    Held read(long ino) {
        ReentrantReadWriteLock.ReadLock l = locks[stripe(ino)].readLock();
        l.lock();
        return l::unlock;
    }

    Held write(long ino) {
        ReentrantReadWriteLock.WriteLock l = locks[stripe(ino)].writeLock();
        l.lock();
        return l::unlock;
    }

    Held write(long... inos) {
        int[] s = new int[inos.length];
        for (int i = 0; i < inos.length; i++) {
            s[i] = stripe(inos[i]);
        }
        int[] sorted = Arrays.stream(s).sorted().distinct().toArray();
        for (int x : sorted) {
            locks[x].writeLock().lock();
        }
        return () -> {
            for (int i = sorted.length - 1; i >= 0; i--) {
                locks[sorted[i]].writeLock().unlock();
            }
        };
    }

    private static int stripe(long ino) {
        long h = ino * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 52) & (STRIPES - 1);
    }
}
