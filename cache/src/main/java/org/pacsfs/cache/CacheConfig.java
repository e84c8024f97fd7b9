package org.pacsfs.cache;

import java.nio.file.Path;

/**
 * Immutable, validated configuration of the chunk cache and of the read path in front of it. Invalid values are
 * rejected with an {@link IllegalArgumentException} naming the option and what is accepted; nothing is corrected
 * silently. Start from {@link #defaults()}.
 *
 * @param memoryBytes              memory tier: decoded chunk data kept on the Java heap. Default 256 MiB; at least 16 MiB.
 * @param diskBytes                disk tier: stored (encoded) chunk bytes in block files. Default 10 GiB; 0 turns the
 *                                 disk tier off, otherwise at least 64 MiB.
 * @param diskMinFreeRatio         the disk tier shrinks (evicts) rather than leave less than this fraction of the
 *                                 disk holding {@code directory} free. Default 0.10; 0 .. 0.9.
 * @param directory                where the disk tier keeps its block files; null means {@code <state directory>/cache}
 *                                 (beside, never inside, the write-log). Default null.
 * @param readAheadMaxBytesPerFile the read-ahead window of one sequentially read open file grows up to this. Default
 *                                 128 MiB (measured: 64 MiB kept only 8 of 16 GETs in flight on average, chunks that
 *                                 arrived before the reader took slots of the window); 0 turns read-ahead off,
 *                                 otherwise 1 MiB .. readAheadMaxBytesTotal. Concurrent readers share the total
 *                                 first come, first served.
 * @param readAheadMaxBytesTotal   read-ahead GETs in flight over all files, in chunk data bytes. Default 128 MiB;
 *                                 at most memoryBytes / 2, so that prefetched chunks are not evicted before they are read.
 * @param getParallelism           threads that run background (read-ahead) GETs. Default 16; 1 .. 256. A reader that
 *                                 misses runs its GET on its own thread.
 */
public record CacheConfig(long memoryBytes, long diskBytes, double diskMinFreeRatio, Path directory,
                          long readAheadMaxBytesPerFile, long readAheadMaxBytesTotal, int getParallelism) {
    private static final long MIB = 1L << 20;

    public static final long DEFAULT_MEMORY_BYTES = 256 * MIB;
    public static final long DEFAULT_DISK_BYTES = 10L << 30;
    public static final double DEFAULT_DISK_MIN_FREE_RATIO = 0.10;
    public static final long DEFAULT_READ_AHEAD_PER_FILE = 128 * MIB;
    public static final long DEFAULT_READ_AHEAD_TOTAL = 128 * MIB;
    public static final int DEFAULT_GET_PARALLELISM = 16;

    public CacheConfig {
        if (memoryBytes < 16 * MIB) {
            throw new IllegalArgumentException("cache memoryBytes must be at least 16 MiB, was " + memoryBytes);
        }
        if (diskBytes != 0 && diskBytes < 64 * MIB) {
            throw new IllegalArgumentException("cache diskBytes must be 0 (no disk tier) or at least 64 MiB, was " + diskBytes);
        }
        if (!(diskMinFreeRatio >= 0 && diskMinFreeRatio <= 0.9)) {
            throw new IllegalArgumentException("cache diskMinFreeRatio must be between 0 and 0.9, was " + diskMinFreeRatio);
        }
        if (readAheadMaxBytesTotal < 0 || readAheadMaxBytesTotal > memoryBytes / 2) {
            throw new IllegalArgumentException("cache readAheadMaxBytesTotal must be between 0 and memoryBytes / 2 ("
                    + memoryBytes / 2 + "), was " + readAheadMaxBytesTotal);
        }
        if (readAheadMaxBytesPerFile != 0
                && (readAheadMaxBytesPerFile < MIB || readAheadMaxBytesPerFile > readAheadMaxBytesTotal)) {
            throw new IllegalArgumentException("cache readAheadMaxBytesPerFile must be 0 (no read-ahead) or between 1 MiB and "
                    + "readAheadMaxBytesTotal (" + readAheadMaxBytesTotal + "), was " + readAheadMaxBytesPerFile);
        }
        if (getParallelism < 1 || getParallelism > 256) {
            throw new IllegalArgumentException("cache getParallelism must be between 1 and 256, was " + getParallelism);
        }
    }

    public static CacheConfig defaults() {
        return new CacheConfig(DEFAULT_MEMORY_BYTES, DEFAULT_DISK_BYTES, DEFAULT_DISK_MIN_FREE_RATIO, null,
                DEFAULT_READ_AHEAD_PER_FILE, DEFAULT_READ_AHEAD_TOTAL, DEFAULT_GET_PARALLELISM);
    }

    /** The memory tier size; the read-ahead total is lowered to half of it if it would exceed that. */
    public CacheConfig withMemoryBytes(long v) {
        long total = Math.min(readAheadMaxBytesTotal, Math.max(0, v / 2));
        return new CacheConfig(v, diskBytes, diskMinFreeRatio, directory, Math.min(readAheadMaxBytesPerFile, total), total, getParallelism);
    }

    public CacheConfig withDisk(long bytes, double minFreeRatio) {
        return new CacheConfig(memoryBytes, bytes, minFreeRatio, directory, readAheadMaxBytesPerFile, readAheadMaxBytesTotal, getParallelism);
    }

    public CacheConfig withDirectory(Path v) {
        return new CacheConfig(memoryBytes, diskBytes, diskMinFreeRatio, v, readAheadMaxBytesPerFile, readAheadMaxBytesTotal, getParallelism);
    }

    public CacheConfig withReadAhead(long perFile, long total) {
        return new CacheConfig(memoryBytes, diskBytes, diskMinFreeRatio, directory, perFile, total, getParallelism);
    }

    public CacheConfig withGetParallelism(int v) {
        return new CacheConfig(memoryBytes, diskBytes, diskMinFreeRatio, directory, readAheadMaxBytesPerFile, readAheadMaxBytesTotal, v);
    }

    /** The disk tier's directory: {@link #directory()} if set, else {@code cache} under {@code stateDirectory}. */
    public Path directoryUnder(Path stateDirectory) {
        return directory != null ? directory : stateDirectory.resolve("cache");
    }
}
