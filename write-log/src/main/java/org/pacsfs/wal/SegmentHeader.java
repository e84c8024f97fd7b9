package org.pacsfs.wal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The 32-byte header at offset 0 of every segment file (big-endian; see docs/FORMAT.md):
 * <pre>
 *  0  int   magic 0x5057414C ("PWAL")
 *  4  short format version (1)
 *  6  short flags (0; readers reject other values)
 *  8  long  segment id (equals the number in the file name)
 * 16  long  LSN of the first record this segment may hold
 * 24  int   reserved (0)
 * 28  int   CRC32C of bytes 0..27
 * </pre>
 * Immutable.
 */
record SegmentHeader(long segmentId, long firstLsn) {
    static final int SIZE = 32;
    static final int MAGIC = 0x5057414C;
    static final short VERSION = 1;

    ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(segmentId).putLong(firstLsn).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 28);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /**
     * Parses and verifies a header.
     *
     * @param b at least {@link #SIZE} bytes from offset 0 of a segment file, read from position 0
     * @return the header
     * @throws IllegalArgumentException with the reason if the bytes are not a valid version-1 header
     */
    static SegmentHeader decode(ByteBuffer b) {
        if (b.remaining() < SIZE) {
            throw new IllegalArgumentException("segment header torn: " + b.remaining() + " of " + SIZE + " bytes");
        }
        ByteBuffer h = b.duplicate();
        byte[] first28 = new byte[28];
        h.get(first28);
        CRC32C crc = new CRC32C();
        crc.update(first28);
        int stored = h.getInt();
        ByteBuffer f = ByteBuffer.wrap(first28);
        int magic = f.getInt();
        if (magic != MAGIC) {
            throw new IllegalArgumentException(String.format("bad segment magic 0x%08X (expected 0x%08X)", magic, MAGIC));
        }
        if (stored != (int) crc.getValue()) {
            throw new IllegalArgumentException("segment header CRC32C mismatch");
        }
        short version = f.getShort();
        if (version != VERSION) {
            throw new IllegalArgumentException("unsupported segment format version " + version + " (this code reads " + VERSION + ")");
        }
        short flags = f.getShort();
        if (flags != 0) {
            throw new IllegalArgumentException("unknown segment flags " + flags);
        }
        long id = f.getLong();
        long firstLsn = f.getLong();
        if (id < 1 || firstLsn < 1) {
            throw new IllegalArgumentException("segment header holds invalid id " + id + " or first LSN " + firstLsn);
        }
        return new SegmentHeader(id, firstLsn);
    }
}
