package org.pacsfs.core.bucket;

/** How the payload of a chunk object is stored; the code is the byte written in the header and in {@link ChunkRef}. */
public enum ChunkCompression {
    /** The payload is the raw data. */
    NONE(0),
    /** The payload is one zstd frame (with its content size) that decompresses to the raw data. */
    ZSTD(1);

    private final int code;

    ChunkCompression(int code) {
        this.code = code;
    }

    /** The byte that encodes this kind. */
    public int code() {
        return code;
    }

    /** The kind with this code, or {@code null} if the code is unknown. */
    static ChunkCompression ofCode(int code) {
        for (ChunkCompression c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
