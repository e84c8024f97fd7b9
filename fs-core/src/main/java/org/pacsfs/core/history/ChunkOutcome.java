package org.pacsfs.core.history;

/**
 * What a scrub did with one chunk.
 *
 * @param status what became of it
 * @param key    the chunk object's key relative to the filesystem (e.g. {@code chunks/ab/ab12...})
 * @param detail for a person: what was wrong, and where a repair came from or why there was none
 */
public record ChunkOutcome(Status status, String key, String detail) {

    /** The fate of a chunk, each a word an operator can grep for. */
    public enum Status {
        /** The object verified against the log's record. */
        OK,
        /** The object was missing or damaged and was restored from an intact local copy, and now verifies. */
        REPAIRED,
        /** The object is missing or damaged, and no repair was asked for ({@code --repair}). */
        NOT_REPAIRED,
        /** The object is missing or damaged, and no intact local copy exists (or the repair did not verify). */
        UNREPAIRABLE,
        /** The object could not be read (permissions, a persistent server error): not judged. */
        UNREADABLE
    }

    @Override
    public String toString() {
        return status + " " + key + (detail.isEmpty() ? "" : ": " + detail);
    }
}
