package org.pacsfs.core.history;

import java.util.UUID;

/**
 * The result of a whole scrub (all its parts, when resumed).
 *
 * @param fsId         the filesystem
 * @param selection    the chunks chosen
 * @param resumedAfter the segment after which this part started (0: not resumed)
 * @param lastSeq      the last segment walked
 * @param totals       everything done, including the parts before an interruption
 */
public record ScrubReport(UUID fsId, ScrubSelection selection, long resumedAfter, long lastSeq, ScrubTotals totals) {

    /** True if no problem remains in the bucket (every checked chunk verifies now, and every segment was readable). */
    public boolean ok() {
        return totals.problems() == 0;
    }
}
