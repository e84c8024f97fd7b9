package org.pacsfs.wal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable, validated configuration of a {@link WriteLog}. Invalid values are rejected with an
 * {@link IllegalArgumentException} naming the option and its accepted range, never corrected.
 *
 * <p>Start from {@link #defaults(Path)} and change options with the {@code with...} methods.
 *
 * @param directory           the directory holding the segment files; created if missing. No default.
 * @param segmentSizeBytes    maximum size of one segment file, header included. Default 64 MiB; range 64 KiB .. 1 GiB.
 * @param syncPolicy          forces added to explicit syncs. Default {@link SyncPolicy#ON_REQUEST}.
 * @param syncInterval        period of the background force under {@link SyncPolicy#INTERVAL}. Default 100 ms;
 *                            range 1 ms .. 1 h (ignored by the other policies but still validated).
 * @param capacityBytes       cap on the bytes held by segment files; appends wait for {@link WriteLog#release} beyond
 *                            it. Default 4 GiB; must be at least 2 x segmentSizeBytes.
 * @param maxWaitWhenFull     how long an append waits for space before {@link WriteLogFullException}. Default 30 s;
 *                            range 0 .. 1 day.
 * @param unsyncedBufferBytes memory holding a copy of the newest unsynced records, taken from the page cache just
 *                            before each force, so that after a failed force they are rewritten to a new segment
 *                            from memory (the page cache may have dropped them). It bounds memory, not appends:
 *                            appends never force; unsynced records older than this copy are re-read from their
 *                            segment file and verified (LSN, CRC32C) if a force fails, and the log goes read-only if
 *                            that fails. Also the largest record size. Default 32 MiB; range 64 KiB .. 1 GiB, and at
 *                            most segmentSizeBytes.
 * @param channelFactory      opens segment files; {@link ChannelFactory#DEFAULT} unless a test injects faults.
 */
public record WriteLogConfig(
        Path directory,
        long segmentSizeBytes,
        SyncPolicy syncPolicy,
        Duration syncInterval,
        long capacityBytes,
        Duration maxWaitWhenFull,
        int unsyncedBufferBytes,
        ChannelFactory channelFactory) {

    public static final long DEFAULT_SEGMENT_SIZE = 64L << 20;
    public static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofMillis(100);
    public static final long DEFAULT_CAPACITY = 4L << 30;
    public static final Duration DEFAULT_MAX_WAIT_WHEN_FULL = Duration.ofSeconds(30);
    public static final int DEFAULT_UNSYNCED_BUFFER = 32 << 20;

    static final long MIN_SEGMENT_SIZE = 64L << 10;
    static final long MAX_SEGMENT_SIZE = 1L << 30;

    public WriteLogConfig {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(syncPolicy, "syncPolicy");
        Objects.requireNonNull(syncInterval, "syncInterval");
        Objects.requireNonNull(maxWaitWhenFull, "maxWaitWhenFull");
        Objects.requireNonNull(channelFactory, "channelFactory");
        requireRange("segmentSizeBytes", segmentSizeBytes, MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE);
        requireRange("syncInterval (ms)", syncInterval.toMillis(), 1, Duration.ofHours(1).toMillis());
        requireRange("capacityBytes", capacityBytes, 2 * segmentSizeBytes, Long.MAX_VALUE);
        requireRange("maxWaitWhenFull (ms)", maxWaitWhenFull.isNegative() ? -1 : maxWaitWhenFull.toMillis(), 0, Duration.ofDays(1).toMillis());
        requireRange("unsyncedBufferBytes", unsyncedBufferBytes, MIN_SEGMENT_SIZE, Math.min(MAX_SEGMENT_SIZE, segmentSizeBytes));
    }

    /** The defaults listed on this record, for {@code directory}. */
    public static WriteLogConfig defaults(Path directory) {
        return new WriteLogConfig(directory, DEFAULT_SEGMENT_SIZE, SyncPolicy.ON_REQUEST, DEFAULT_SYNC_INTERVAL,
                DEFAULT_CAPACITY, DEFAULT_MAX_WAIT_WHEN_FULL, DEFAULT_UNSYNCED_BUFFER, ChannelFactory.DEFAULT);
    }

    /** Largest payload one record may carry: it must fit in one segment and in the unsynced buffer. */
    public int maxPayloadBytes() {
        long fit = Math.min(segmentSizeBytes - SegmentHeader.SIZE, unsyncedBufferBytes);
        return (int) (fit - RecordFormat.HEADER_SIZE);
    }

    /** The same settings for segments in another directory (e.g. a mirrored disk, {@code pacsfs mount --wal-dir}). */
    public WriteLogConfig withDirectory(Path v) {
        return new WriteLogConfig(v, segmentSizeBytes, syncPolicy, syncInterval, capacityBytes, maxWaitWhenFull, unsyncedBufferBytes, channelFactory);
    }

    public WriteLogConfig withSegmentSizeBytes(long v) {
        return new WriteLogConfig(directory, v, syncPolicy, syncInterval, capacityBytes, maxWaitWhenFull,
                (int) Math.min(unsyncedBufferBytes, v), channelFactory);
    }

    public WriteLogConfig withSyncPolicy(SyncPolicy v) {
        return new WriteLogConfig(directory, segmentSizeBytes, v, syncInterval, capacityBytes, maxWaitWhenFull, unsyncedBufferBytes, channelFactory);
    }

    public WriteLogConfig withSyncInterval(Duration v) {
        return new WriteLogConfig(directory, segmentSizeBytes, syncPolicy, v, capacityBytes, maxWaitWhenFull, unsyncedBufferBytes, channelFactory);
    }

    public WriteLogConfig withCapacityBytes(long v) {
        return new WriteLogConfig(directory, segmentSizeBytes, syncPolicy, syncInterval, v, maxWaitWhenFull, unsyncedBufferBytes, channelFactory);
    }

    public WriteLogConfig withMaxWaitWhenFull(Duration v) {
        return new WriteLogConfig(directory, segmentSizeBytes, syncPolicy, syncInterval, capacityBytes, v, unsyncedBufferBytes, channelFactory);
    }

    public WriteLogConfig withUnsyncedBufferBytes(int v) {
        return new WriteLogConfig(directory, segmentSizeBytes, syncPolicy, syncInterval, capacityBytes, maxWaitWhenFull, v, channelFactory);
    }

    public WriteLogConfig withChannelFactory(ChannelFactory v) {
        return new WriteLogConfig(directory, segmentSizeBytes, syncPolicy, syncInterval, capacityBytes, maxWaitWhenFull, unsyncedBufferBytes, v);
    }

    private static void requireRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("write-log option " + option + " must be in [" + min + ", " + max + "], was " + value);
        }
    }
}
