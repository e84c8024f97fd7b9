package org.pacsfs.cache;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The disk tier's block file: a {@value #HEADER_SIZE}-byte header, then the payload (a chunk's stored bytes).
 * All integers big-endian; see docs/FORMAT.md, "Chunk cache blocks".
 *
 * <pre>
 * offset size field
 *  0     4    magic 0x50434342 ("PCCB")
 *  4     2    format version, 1
 *  6     2    flags, 0 (a reader treats other values as a miss)
 *  8    16    key (the chunk id; equals the file name)
 * 24     4    payload length (= file size - 36)
 * 28     4    CRC32C of the payload
 * 32     4    CRC32C of header bytes 0..31
 * 36     ...  payload
 * </pre>
 */
final class BlockFormat {
    static final int HEADER_SIZE = 36;
    static final int MAGIC = 0x50434342;
    static final int VERSION = 1;

    private BlockFormat() {
    }

    /** The header for {@code payload} (position to limit; position unchanged). */
    static ByteBuffer header(ChunkKey key, ByteBuffer payload) {
        return header(key, payload, crc(payload.duplicate()));
    }

    /** The header for {@code payload} whose CRC32C the caller already knows. */
    static ByteBuffer header(ChunkKey key, ByteBuffer payload, int payloadCrc) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
        h.putInt(MAGIC).putShort((short) VERSION).putShort((short) 0).putLong(key.hi()).putLong(key.lo());
        h.putInt(payload.remaining()).putInt(payloadCrc);
        h.putInt(crc(h.duplicate().flip()));
        return h.flip();
    }

    /**
     * The payload of a whole block file's bytes, or throws naming what does not match. The result is a read-only
     * slice of {@code file}.
     */
    static ByteBuffer payload(ChunkKey key, ByteBuffer file) throws CorruptChunkException {
        if (file.remaining() < HEADER_SIZE) {
            throw corrupt(key, "file of " + file.remaining() + " bytes is shorter than the header");
        }
        ByteBuffer f = file.slice();
        if (f.getInt(0) != MAGIC || (f.getShort(4) & 0xFFFF) != VERSION || f.getShort(6) != 0) {
            throw corrupt(key, String.format("bad magic %08x, version %d or flags %d", f.getInt(0), f.getShort(4), f.getShort(6)));
        }
        if (crc(f.duplicate().limit(HEADER_SIZE - 4)) != f.getInt(HEADER_SIZE - 4)) {
            throw corrupt(key, "header CRC32C does not match");
        }
        if (f.getLong(8) != key.hi() || f.getLong(16) != key.lo()) {
            throw corrupt(key, "header holds key " + new ChunkKey(f.getLong(8), f.getLong(16)));
        }
        int length = f.getInt(24);
        if (length != f.remaining() - HEADER_SIZE) {
            throw corrupt(key, "header says " + length + " payload bytes, the file has " + (f.remaining() - HEADER_SIZE));
        }
        ByteBuffer payload = f.slice(HEADER_SIZE, length);
        if (crc(payload.duplicate()) != f.getInt(28)) {
            throw corrupt(key, "payload CRC32C does not match");
        }
        return payload.asReadOnlyBuffer();
    }

    private static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    private static CorruptChunkException corrupt(ChunkKey key, String what) {
        return new CorruptChunkException("cache block " + key + ": " + what, null);
    }
}
