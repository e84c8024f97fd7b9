package org.pacsfs.core.history;

import java.util.List;
import org.pacsfs.core.bucket.LogBase;

/**
 * What a GC run prunes from the metadata log ({@link LogPruner}): the log base it writes (null when the log cannot
 * move its start forward) and the objects below the base it deletes: segments, checkpoints nothing needs any more,
 * and older log bases. Left-overs of an earlier, interrupted prune (objects below the current base) are in the lists
 * too, so that any later run finishes that job.
 *
 * @param newBase         the log base to write first, or null
 * @param current         the log base in the bucket before this run, or null
 * @param segmentKeys     segment objects to delete (all below the new, or current, base)
 * @param segmentBytes    their size
 * @param checkpointKeys  checkpoint objects to delete (positions before the base's checkpoint, not in its chain)
 * @param checkpointBytes their size
 * @param baseKeys        older log base objects to delete
 * @param why             when {@code newBase} is null: why the log keeps its start (for the dry run's output)
 */
public record LogPrune(LogBase newBase, LogBase current, List<String> segmentKeys, long segmentBytes,
                       List<String> checkpointKeys, long checkpointBytes, List<String> baseKeys, String why) {

    /** Nothing to prune (a plan loaded from a resume file: a later run prunes). */
    public static final LogPrune NONE = new LogPrune(null, null, List.of(), 0, List.of(), 0, List.of(),
            "not judged in this run");

    public LogPrune {
        segmentKeys = List.copyOf(segmentKeys);
        checkpointKeys = List.copyOf(checkpointKeys);
        baseKeys = List.copyOf(baseKeys);
    }

    /** True if there is nothing to write nor delete. */
    public boolean isEmpty() {
        return newBase == null && segmentKeys.isEmpty() && checkpointKeys.isEmpty() && baseKeys.isEmpty();
    }

    /** The base the log has after this prune (null: never pruned). */
    public LogBase effective() {
        return newBase != null ? newBase : current;
    }

    /**
     * What a prune did.
     *
     * @param wrote            true if this run wrote the new log base (or found it written by its interrupted self)
     * @param segmentsDeleted  segments deleted
     * @param bytesDeleted     their size
     * @param otherDeleted     checkpoint objects and older log bases deleted
     * @param failures         objects the server refused to delete (e.g. under Object Lock), each with the reason;
     *                         they stay, and a later run tries again
     */
    public record Outcome(boolean wrote, long segmentsDeleted, long bytesDeleted, long otherDeleted,
                          List<org.pacsfs.core.store.BatchDeleteResult.Failure> failures) {
        public static final Outcome NONE = new Outcome(false, 0, 0, 0, List.of());

        public Outcome {
            failures = List.copyOf(failures);
        }
    }
}
