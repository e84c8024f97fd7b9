package org.pacsfs.core.history;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import org.pacsfs.core.bucket.ChunkId;

/**
 * Which chunks a scrub checks: a fraction of them, chosen by chunk id alone, so that the choice is the same on every
 * run with the same {@code fraction} and {@code seed} (reproducible, and resumable).
 *
 * <p>Each chunk id is mapped to a point {@code u} in [0, 1) (the first 53 bits of the SHA-256 of its 16 bytes, so
 * ids made by one clock still spread evenly); the seed chooses a window {@code [seed * fraction, seed * fraction +
 * fraction)} on that circle; a chunk is chosen when its point lies in the window. Consecutive seeds therefore take
 * consecutive, non-overlapping windows: with {@code fraction = 1/N}, the runs with seeds {@code k, k+1, ..., k+N-1}
 * check every chunk exactly once — e.g. a nightly {@code --sample 0.1} whose seed is the day number covers the whole
 * filesystem every ten days.
 *
 * @param fraction the share of chunks to check, in (0, 1]; 1 checks all (the seed then does not matter)
 * @param seed     which window
 */
public record ScrubSelection(double fraction, long seed) {

    public ScrubSelection {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("the sample fraction must be more than 0 and at most 1 (e.g. 0.1 for a tenth), got " + fraction);
        }
        if (fraction == 1) {
            seed = 0;
        }
    }

    /** Every chunk. */
    public static ScrubSelection all() {
        return new ScrubSelection(1, 0);
    }

    /** True if the chunk is part of this selection. */
    public boolean chosen(ChunkId id) {
        if (fraction >= 1) {
            return true;
        }
        double start = seed * fraction;
        start -= Math.floor(start);
        double d = point(id) - start;
        if (d < 0) {
            d += 1;
        }
        return d < fraction;
    }

    /** The chunk's point on the circle [0, 1). */
    static double point(ChunkId id) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.toBytes());
            return (ByteBuffer.wrap(h).getLong() >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return fraction >= 1 ? "all chunks" : String.format(Locale.ROOT, "a sample of %s of the chunks (seed %d)", fraction, seed);
    }
}
