package org.pacsfs.core.fs;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.pacsfs.cache.CacheConfig;
import org.pacsfs.wal.WriteLogConfig;

/**
 * Immutable, validated configuration of a {@link LocalFileSystem}. Invalid values are rejected with an
 * {@link IllegalArgumentException} naming the option and the accepted range. Start from {@link #defaults(Path)}.
 *
 * @param stateDirectory   local state: {@code wal/} (the write-log) and {@code index/} (the local index). No default.
 * @param capacityBytes    what statfs reports as the size of the filesystem; writes beyond it fail with ENOSPC.
 *                         Default 100 TiB; range 1 MiB .. 2^62.
 * @param expectedFiles    index preallocation (see {@link IndexSizing}). Default 2,000,000; at least 1000.
 * @param maxFiles         hard limit on inodes (creating beyond it is ENOSPC). Default 100,000,000; between
 *                         expectedFiles and 1000 x expectedFiles.
 * @param rootUid          owner of the root directory when the filesystem is created. Default 0.
 * @param rootGid          group of the root directory when the filesystem is created. Default 0.
 * @param rootMode         permissions of the root directory when the filesystem is created. Default 0755.
 * @param pathCacheEntries size of the path resolution cache. Default 100,000; range 0 .. 10,000,000.
 * @param walTuning        adjusts the write-log configuration (segment size, cap, sync policy). Default: none.
 * @param clock            wall-clock time in ns since the epoch (tests inject one). Default: the system clock.
 * @param cache            the chunk cache and read-ahead of a filesystem with a bucket (see {@link CacheConfig} for
 *                         each option and its default). Default {@link CacheConfig#defaults()}: the disk tier in
 *                         {@code <stateDirectory>/cache}.
 */
public record FsConfig(Path stateDirectory, long capacityBytes, long expectedFiles, long maxFiles, int rootUid,
                       int rootGid, int rootMode, int pathCacheEntries, UnaryOperator<WriteLogConfig> walTuning,
                       LongSupplier clock, CacheConfig cache) {

    public static final long DEFAULT_CAPACITY = 100L << 40;
    public static final long DEFAULT_EXPECTED_FILES = 2_000_000;
    public static final long DEFAULT_MAX_FILES = 100_000_000;

    public FsConfig {
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(walTuning, "walTuning");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(cache, "cache");
        if (capacityBytes < (1 << 20) || capacityBytes > (1L << 62)) {
            throw new IllegalArgumentException("capacityBytes must be between 1 MiB and 2^62, was " + capacityBytes);
        }
        new IndexSizing(expectedFiles, maxFiles);
        if ((rootMode & ~07777) != 0) {
            throw new IllegalArgumentException("rootMode must be permission bits within 07777, was 0" + Integer.toOctalString(rootMode));
        }
        if (pathCacheEntries < 0 || pathCacheEntries > 10_000_000) {
            throw new IllegalArgumentException("pathCacheEntries must be between 0 and 10,000,000, was " + pathCacheEntries);
        }
    }

    /** Without cache settings: {@link CacheConfig#defaults()}. */
    public FsConfig(Path stateDirectory, long capacityBytes, long expectedFiles, long maxFiles, int rootUid, int rootGid,
                    int rootMode, int pathCacheEntries, UnaryOperator<WriteLogConfig> walTuning, LongSupplier clock) {
        this(stateDirectory, capacityBytes, expectedFiles, maxFiles, rootUid, rootGid, rootMode, pathCacheEntries, walTuning,
                clock, CacheConfig.defaults());
    }

    public static FsConfig defaults(Path stateDirectory) {
        return new FsConfig(stateDirectory, DEFAULT_CAPACITY, DEFAULT_EXPECTED_FILES, DEFAULT_MAX_FILES, 0, 0, 0755,
                100_000, UnaryOperator.identity(), FsConfig::systemNanos);
    }

    /** A small index, for tests and small installations. */
    public FsConfig withIndexSize(long expected, long max) {
        return new FsConfig(stateDirectory, capacityBytes, expected, max, rootUid, rootGid, rootMode, pathCacheEntries, walTuning, clock, cache);
    }

    public FsConfig withCapacityBytes(long v) {
        return new FsConfig(stateDirectory, v, expectedFiles, maxFiles, rootUid, rootGid, rootMode, pathCacheEntries, walTuning, clock, cache);
    }

    public FsConfig withRoot(int uid, int gid, int mode) {
        return new FsConfig(stateDirectory, capacityBytes, expectedFiles, maxFiles, uid, gid, mode, pathCacheEntries, walTuning, clock, cache);
    }

    public FsConfig withPathCacheEntries(int v) {
        return new FsConfig(stateDirectory, capacityBytes, expectedFiles, maxFiles, rootUid, rootGid, rootMode, v, walTuning, clock, cache);
    }

    public FsConfig withWalTuning(UnaryOperator<WriteLogConfig> v) {
        return new FsConfig(stateDirectory, capacityBytes, expectedFiles, maxFiles, rootUid, rootGid, rootMode, pathCacheEntries, v, clock, cache);
    }

    public FsConfig withStateDirectory(Path v) {
        return new FsConfig(v, capacityBytes, expectedFiles, maxFiles, rootUid, rootGid, rootMode, pathCacheEntries, walTuning, clock, cache);
    }

    public FsConfig withClock(LongSupplier v) {
        return new FsConfig(stateDirectory, capacityBytes, expectedFiles, maxFiles, rootUid, rootGid, rootMode, pathCacheEntries, walTuning, v, cache);
    }

    public FsConfig withCache(CacheConfig v) {
        return new FsConfig(stateDirectory, capacityBytes, expectedFiles, maxFiles, rootUid, rootGid, rootMode, pathCacheEntries, walTuning, clock, v);
    }

    /** Where the disk tier of the chunk cache lives (by default beside {@code wal/} and {@code index/}). */
    Path cacheDirectory() {
        return cache.directoryUnder(stateDirectory);
    }

    IndexSizing indexSizing() {
        return new IndexSizing(expectedFiles, maxFiles);
    }

    WriteLogConfig walConfig() {
        return walTuning.apply(WriteLogConfig.defaults(stateDirectory.resolve("wal")));
    }

    private static long systemNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
