package org.pacsfs.core.history;

/**
 * What a scrub has done so far (including the part before an interruption, when resumed).
 *
 * @param segments        log segments walked
 * @param chunks          chunks checked (those the selection chose, each once per run)
 * @param bytes           stored bytes read from the bucket
 * @param ok              chunks that verified
 * @param repaired        chunks missing or damaged in the bucket and restored from an intact local copy
 * @param notRepaired     chunks missing or damaged, and no repair was asked for
 * @param unrepairable    chunks missing or damaged with no intact local copy (or whose repair did not verify)
 * @param unreadable      chunks that could not be read at all (not judged)
 * @param segmentProblems segments missing or not decoding (their chunks cannot be enumerated)
 */
public record ScrubTotals(long segments, long chunks, long bytes, long ok, long repaired, long notRepaired,
                          long unrepairable, long unreadable, long segmentProblems) {

    /** Nothing done yet. */
    public static final ScrubTotals ZERO = new ScrubTotals(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Problems that remain in the bucket after this scrub. */
    public long problems() {
        return notRepaired + unrepairable + unreadable + segmentProblems;
    }

    long[] toArray() {
        return new long[] {segments, chunks, bytes, ok, repaired, notRepaired, unrepairable, unreadable, segmentProblems};
    }

    static ScrubTotals fromArray(long[] v) {
        return new ScrubTotals(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
    }

    static final int COUNTERS = 9;
}
