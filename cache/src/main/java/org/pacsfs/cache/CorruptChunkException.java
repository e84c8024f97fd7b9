package org.pacsfs.cache;

/** Stored bytes of a chunk that do not verify (wrong length, checksum, header or payload). */
public final class CorruptChunkException extends Exception {
    private static final long serialVersionUID = 1L;

    public CorruptChunkException(String message, Throwable cause) {
        super(message, cause);
    }
}
