package org.pacsfs.core.fs;

import java.time.Duration;
import java.util.Objects;

/**
 * How the flusher ships the write-log to the bucket. Immutable and validated: invalid values are rejected with a
 * message naming the option and the accepted range. Start from {@link #defaults()}.
 *
 * @param maxChunkBytes      largest chunk of file data. Default 4 MiB; range 128 KiB .. 64 MiB.
 * @param minChunkBytes      chunks smaller than this at the tail of a growing file are rewritten merged with later
 *                           appends. Default 128 KiB; range 4 KiB .. maxChunkBytes.
 * @param batchBytes         ship as soon as this much file data is waiting. Default 16 MiB; range 128 KiB .. 1 GiB.
 * @param flushDelay         otherwise ship when the oldest waiting change is this old (the growing tail of a file
 *                           waits for more bytes meanwhile). Default 2 s; range 0 .. 10 min.
 * @param maxSegmentBytes    most file data shipped under one metadata log segment. Default 64 MiB; at least
 *                           maxChunkBytes.
 * @param uploadParallelism  chunk PUTs in flight. Default 16 (measured: 8 left the link idle between batches,
 *                           fs-core/BENCHMARKS.md); range 1 .. 256.
 * @param initialBackoff     first retry delay after a transient S3 error. Default 100 ms; range 1 ms .. 1 min.
 * @param maxBackoff         cap of the exponential backoff (so shipping resumes promptly when S3 returns). Default
 *                           5 s; range initialBackoff .. 10 min.
 * @param durability         {@link Durability#LOCAL} (fsync = the local write-log is forced; default) or
 *                           {@link Durability#REMOTE} (fsync also waits until the data is committed in the bucket).
 * @param drainTimeout       how long a clean unmount waits for everything to be shipped. Default 5 min; 0 .. 1 day.
 * @param checkpointInterval a checkpoint is captured this long after the previous one if there are new log segments,
 *                           whether or not writes go on (it is written when the segment ending at the captured
 *                           position commits), and at every clean unmount. Default 10 min; 0 .. 1 day.
 * @param maxIncrementals    incremental checkpoints before they are merged into a full one. Default 16; 1 .. 1000.
 * @param backgroundNice     the nice value the shipping threads run at in LOCAL durability, so that the application's
 *                           requests win the CPU under contention ({@link BackgroundPriority}). Range 0 (normal
 *                           priority) .. 19. Default here 0; {@code pacsfs mount} uses {@value #DEFAULT_BACKGROUND_NICE}
 *                           (its --background-nice). The library keeps normal priority so that embedders and
 *                           timing-sensitive tests on a busy machine are not starved by other processes.
 */
public record ShipConfig(int maxChunkBytes, int minChunkBytes, long batchBytes, Duration flushDelay, long maxSegmentBytes,
                         int uploadParallelism, Duration initialBackoff, Duration maxBackoff, Durability durability,
                         Duration drainTimeout, Duration checkpointInterval, int maxIncrementals, int backgroundNice) {

    /** The mount's default of {@link #backgroundNice()} ({@code --background-nice}). */
    public static final int DEFAULT_BACKGROUND_NICE = 10;

    /** What fsync waits for. */
    public enum Durability { LOCAL, REMOTE }

    public ShipConfig {
        Objects.requireNonNull(flushDelay, "flushDelay");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(checkpointInterval, "checkpointInterval");
        range("checkpointInterval (ms)", checkpointInterval.toMillis(), 0, Duration.ofDays(1).toMillis());
        range("maxIncrementals", maxIncrementals, 1, 1000);
        range("maxChunkBytes", maxChunkBytes, 128 << 10, 64 << 20);
        range("minChunkBytes", minChunkBytes, 4 << 10, maxChunkBytes);
        range("batchBytes", batchBytes, 128 << 10, 1L << 30);
        range("flushDelay (ms)", flushDelay.toMillis(), 0, Duration.ofMinutes(10).toMillis());
        range("maxSegmentBytes", maxSegmentBytes, maxChunkBytes, 1L << 34);
        range("uploadParallelism", uploadParallelism, 1, 256);
        range("initialBackoff (ms)", initialBackoff.toMillis(), 1, 60_000);
        range("maxBackoff (ms)", maxBackoff.toMillis(), initialBackoff.toMillis(), Duration.ofMinutes(10).toMillis());
        range("drainTimeout (ms)", drainTimeout.toMillis(), 0, Duration.ofDays(1).toMillis());
        range("backgroundNice", backgroundNice, 0, 19);
    }

    /** All but the background priority, which stays normal (0). */
    public ShipConfig(int maxChunkBytes, int minChunkBytes, long batchBytes, Duration flushDelay, long maxSegmentBytes,
                      int uploadParallelism, Duration initialBackoff, Duration maxBackoff, Durability durability,
                      Duration drainTimeout, Duration checkpointInterval, int maxIncrementals) {
        this(maxChunkBytes, minChunkBytes, batchBytes, flushDelay, maxSegmentBytes, uploadParallelism, initialBackoff,
                maxBackoff, durability, drainTimeout, checkpointInterval, maxIncrementals, 0);
    }

    /** All but the checkpoint settings, which take their defaults. */
    public ShipConfig(int maxChunkBytes, int minChunkBytes, long batchBytes, Duration flushDelay, long maxSegmentBytes,
                      int uploadParallelism, Duration initialBackoff, Duration maxBackoff, Durability durability,
                      Duration drainTimeout) {
        this(maxChunkBytes, minChunkBytes, batchBytes, flushDelay, maxSegmentBytes, uploadParallelism, initialBackoff,
                maxBackoff, durability, drainTimeout, Duration.ofMinutes(10), 16);
    }

    public static ShipConfig defaults() {
        return new ShipConfig(4 << 20, 128 << 10, 16L << 20, Duration.ofSeconds(2), 64L << 20, 16,
                Duration.ofMillis(100), Duration.ofSeconds(5), Durability.LOCAL, Duration.ofMinutes(5),
                Duration.ofMinutes(10), 16);
    }

    public ShipConfig withFlushDelay(Duration v) {
        return new ShipConfig(maxChunkBytes, minChunkBytes, batchBytes, v, maxSegmentBytes, uploadParallelism, initialBackoff, maxBackoff, durability, drainTimeout, checkpointInterval, maxIncrementals, backgroundNice);
    }

    public ShipConfig withBackoff(Duration initial, Duration max) {
        return new ShipConfig(maxChunkBytes, minChunkBytes, batchBytes, flushDelay, maxSegmentBytes, uploadParallelism, initial, max, durability, drainTimeout, checkpointInterval, maxIncrementals, backgroundNice);
    }

    public ShipConfig withDurability(Durability v) {
        return new ShipConfig(maxChunkBytes, minChunkBytes, batchBytes, flushDelay, maxSegmentBytes, uploadParallelism, initialBackoff, maxBackoff, v, drainTimeout, checkpointInterval, maxIncrementals, backgroundNice);
    }

    public ShipConfig withDrainTimeout(Duration v) {
        return new ShipConfig(maxChunkBytes, minChunkBytes, batchBytes, flushDelay, maxSegmentBytes, uploadParallelism, initialBackoff, maxBackoff, durability, v, checkpointInterval, maxIncrementals, backgroundNice);
    }

    public ShipConfig withCheckpoints(Duration interval, int incrementals) {
        return new ShipConfig(maxChunkBytes, minChunkBytes, batchBytes, flushDelay, maxSegmentBytes, uploadParallelism, initialBackoff, maxBackoff, durability, drainTimeout, interval, incrementals, backgroundNice);
    }

    public ShipConfig withBatchBytes(long v) {
        return new ShipConfig(maxChunkBytes, minChunkBytes, v, flushDelay, maxSegmentBytes, uploadParallelism, initialBackoff, maxBackoff, durability, drainTimeout, checkpointInterval, maxIncrementals, backgroundNice);
    }

    private static void range(String name, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + v);
        }
    }

    public ShipConfig withBackgroundNice(int v) {
        return new ShipConfig(maxChunkBytes, minChunkBytes, batchBytes, flushDelay, maxSegmentBytes, uploadParallelism, initialBackoff, maxBackoff, durability, drainTimeout, checkpointInterval, maxIncrementals, v);
    }

    /**
     * A file with less than this much data in a batch is packed into chunks shared with other files; with more, it
     * gets chunks of its own: a quarter of {@link #maxChunkBytes()} (1 MiB by default), at least {@link #minChunkBytes()}.
     * Measured (docs/BENCHMARKS.md): with the old threshold of minChunkBytes every 512 KiB DICOM instance was a PUT of
     * its own (1.05 PUTs per file, issue 9's target is 0.25); packed, eight share a 4 MiB chunk. The cost: reading one
     * such file cold fetches its whole shared chunk, i.e. its neighbours in the series, which a viewer usually reads next.
     */
    public int packBelowBytes() {
        return Math.max(minChunkBytes, maxChunkBytes / 4);
    }

    /** The nice value for shipping threads: {@link #backgroundNice()} in LOCAL durability, 0 (unchanged) in REMOTE. */
    int effectiveBackgroundNice() {
        return durability == Durability.LOCAL ? backgroundNice : 0;
    }
}
