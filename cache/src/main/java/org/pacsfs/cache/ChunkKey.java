package org.pacsfs.cache;

import java.util.HexFormat;

/**
 * The name of a cached chunk: the 16 bytes of a chunk id as two longs. Chunks are immutable and never renamed, so an
 * entry under a key never needs invalidation: the bytes for a key are the same forever.
 */
public record ChunkKey(long hi, long lo) {
    private static final HexFormat HEX = HexFormat.of();

    /** 32 lowercase hex digits, the same text as the chunk id. */
    public String hex() {
        return HEX.toHexDigits(hi) + HEX.toHexDigits(lo);
    }

    /** The inverse of {@link #hex()}, or null if {@code text} is not 32 lowercase hex digits. */
    static ChunkKey parseOrNull(String text) {
        if (text.length() != 32) {
            return null;
        }
        for (int i = 0; i < 32; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return null;
            }
        }
        return new ChunkKey(HexFormat.fromHexDigitsToLong(text, 0, 16), HexFormat.fromHexDigitsToLong(text, 16, 32));
    }

    @Override
    public String toString() {
        return hex();
    }
}
