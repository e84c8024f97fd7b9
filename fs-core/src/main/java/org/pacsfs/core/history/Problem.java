package org.pacsfs.core.history;

/**
 * One thing {@link LogVerifier} found wrong, naming the object.
 *
 * @param kind   what is wrong
 * @param key    the object's key relative to the filesystem's store (e.g. {@code log/00000000000000000007})
 * @param detail what exactly did not match, for a person
 */
public record Problem(Kind kind, String key, String detail) {

    /** The kinds of problem, each a word an operator can grep for. */
    public enum Kind {
        /** The superblock is absent or does not verify. */
        SUPERBLOCK_DAMAGED,
        /** A log segment the chain needs is not in the bucket (a gap, or fewer segments than a checkpoint or the anchor saw). */
        SEGMENT_MISSING,
        /** A segment fails its own checks (CRC32C, magic, version, structure). */
        SEGMENT_DAMAGED,
        /** A segment verifies by itself but is not the link the chain needs (wrong predecessor hash, position or filesystem). */
        SEGMENT_OUT_OF_CHAIN,
        /** A chunk a segment references is not in the bucket. */
        CHUNK_MISSING,
        /** A chunk is there but its size, CRC32C, SHA-256 or contents differ from what the log recorded. */
        CHUNK_DAMAGED,
        /** A checkpoint manifest does not verify, or records another SHA-256 for its log position than the chain has. */
        CHECKPOINT_MISMATCH,
        /** The head hash an operator recorded earlier is not the hash of that segment now. */
        ANCHOR_MISMATCH,
        /** An object under {@code log/} whose key is not a segment key. */
        UNEXPECTED_OBJECT,
        /** An object could not be read at all (permissions, a persistent server error). */
        UNREADABLE,
        /**
         * A GC record ({@code gc/...}) does not verify, belongs to another filesystem, or names a base segment whose
         * SHA-256 is not the chain's: what it says was removed cannot be trusted.
         */
        GC_RECORD_MISMATCH,
        /**
         * The log base ({@code logbase/...}, written by gc when it pruned the log) does not verify, belongs to another
         * filesystem, does not tie to the chain (segment B names another predecessor hash), or its checkpoint (the
         * only source of the state before it) is missing, damaged or records another hash.
         */
        LOG_BASE_DAMAGED,
        /**
         * The log base claims that history was pruned later than the retention allows: its time is after now minus the
         * filesystem's retention, after its own run's cutoff, or it records a shorter retention than the filesystem's.
         */
        LOG_BASE_TOO_RECENT
    }

    @Override
    public String toString() {
        return kind + " " + key + ": " + detail;
    }
}
