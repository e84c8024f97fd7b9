package org.pacsfs.core.bucket;

/**
 * The bytes of a chunk object are not what the metadata log recorded (length, CRC32C, header, payload).
 * The read path maps it to {@code EIO} and logs it; it never retries it as a transient error, and the
 * chunk's bytes are never returned. The message names the chunk id and what did not match.
 */
public final class ChunkCorruptException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient ChunkId chunkId;

    public ChunkCorruptException(ChunkId chunkId, String what) {
        super("chunk " + chunkId + " is corrupt: " + what);
        this.chunkId = chunkId;
    }

    public ChunkCorruptException(ChunkId chunkId, String what, Throwable cause) {
        super("chunk " + chunkId + " is corrupt: " + what, cause);
        this.chunkId = chunkId;
    }

    /** The chunk whose bytes did not verify. */
    public ChunkId chunkId() {
        return chunkId;
    }
}
