package org.pacsfs.core.history;

import java.util.List;
import java.util.UUID;

/**
 * What {@link LogVerifier} found.
 *
 * @param fsId                the filesystem (from the superblock; from the first segment if the superblock is damaged;
 *                            null if neither could be read)
 * @param head                the last segment of the log as the bucket holds it now, as an anchor to record
 *                            elsewhere; null if the log is empty or its last segment is missing
 * @param segments            segments read
 * @param chunks              chunk objects checked (each referenced chunk once)
 * @param chunkBytes          stored bytes of the chunks checked
 * @param checkpoints         checkpoint manifests compared with the chain
 * @param unreferencedChunks  chunk objects no segment references (uploads of a batch whose segment was never
 *                            committed, e.g. after a crash; harmless, and not a problem: GC removes them)
 * @param problems            everything found wrong, in log order; empty if the filesystem verified
 * @param expiredChunks       referenced chunks that are gone because a GC run removed them after the retention, as
 *                            its record in {@code gc/} says (not a problem)
 * @param logBase             where the log begins after gc pruned it (null: never pruned; it begins at segment 1)
 * @param belowBase           segment objects still in the bucket below the log base (a prune whose deletes were
 *                            interrupted or refused; not part of the log, not checked, the next gc run deletes them)
 */
public record VerifyReport(UUID fsId, HeadAnchor head, long segments, long chunks, long chunkBytes, int checkpoints,
                           long unreferencedChunks, List<Problem> problems, long expiredChunks,
                           org.pacsfs.core.bucket.LogBase logBase, long belowBase) {

    public VerifyReport {
        problems = List.copyOf(problems);
    }

    /** A report of a log that was never pruned. */
    public VerifyReport(UUID fsId, HeadAnchor head, long segments, long chunks, long chunkBytes, int checkpoints,
                        long unreferencedChunks, List<Problem> problems, long expiredChunks) {
        this(fsId, head, segments, chunks, chunkBytes, checkpoints, unreferencedChunks, problems, expiredChunks, null, 0);
    }

    /** A report of a filesystem that GC never touched. */
    public VerifyReport(UUID fsId, HeadAnchor head, long segments, long chunks, long chunkBytes, int checkpoints,
                        long unreferencedChunks, List<Problem> problems) {
        this(fsId, head, segments, chunks, chunkBytes, checkpoints, unreferencedChunks, problems, 0);
    }

    /** True if nothing is missing, damaged or out of chain. */
    public boolean ok() {
        return problems.isEmpty();
    }
}
