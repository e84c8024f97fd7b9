package org.pacsfs.cache;

/**
 * A chunk could not be loaded: the origin failed ({@link #getCause()} is the loader's IOException) or its bytes
 * did not verify ({@link #corrupt()}). Every reader waiting for the same load gets the same exception; nothing is
 * cached, so the next read tries again.
 */
public final class ChunkLoadException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean corrupt;

    public ChunkLoadException(String message, Throwable cause, boolean corrupt) {
        super(message, cause);
        this.corrupt = corrupt;
    }

    /** True if the origin's bytes failed verification (a damaged object, not an unreachable one). */
    public boolean corrupt() {
        return corrupt;
    }
}
