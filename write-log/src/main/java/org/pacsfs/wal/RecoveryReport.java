package org.pacsfs.wal;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link WriteLog#open} found and repaired. Immutable.
 *
 * @param segmentsValidated segment files whose every record was verified
 * @param lastValidLsn      LSN of the last valid record kept (0 if the log holds none)
 * @param truncations       torn or superseded tails cut off, in segment order
 * @param removedFiles      files deleted: half-created segments ({@code *.wal.tmp}) and a last segment too short to
 *                          hold its header
 */
public record RecoveryReport(int segmentsValidated, long lastValidLsn, List<Truncation> truncations, List<Path> removedFiles) {

    public RecoveryReport {
        truncations = List.copyOf(truncations);
        removedFiles = List.copyOf(removedFiles);
    }

    /**
     * One tail cut off a segment file.
     *
     * @param segmentId    the segment
     * @param file         its file
     * @param position     new length of the file (the first byte removed)
     * @param bytesRemoved how many bytes were removed
     * @param reason       why (torn tail, CRC mismatch at the end, superseded by a later segment)
     */
    public record Truncation(long segmentId, Path file, long position, long bytesRemoved, String reason) {
    }

    /** Total bytes removed by truncations and file removals of recovery. */
    public long truncatedBytes() {
        return truncations.stream().mapToLong(Truncation::bytesRemoved).sum();
    }

    /** True if the log was closed cleanly or crashed with nothing to repair. */
    public boolean clean() {
        return truncations.isEmpty() && removedFiles.isEmpty();
    }
}
