package org.pacsfs.wal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Record layout (big-endian; see docs/FORMAT.md): a 20-byte header followed by the payload.
 * <pre>
 *  0  int   payload length L (0 .. max payload)
 *  4  int   CRC32C, see below
 *  8  long  LSN
 * 16  byte  type (caller-defined, opaque to the log)
 * 17  3 bytes reserved (0)
 * 20  L bytes payload
 * </pre>
 * The CRC32C covers, in this order: the payload, header bytes 8..19 (LSN, type, reserved), header bytes 0..3 (length)
 * and the 8-byte big-endian id of the segment the record is in. The payload comes first so that appenders checksum
 * it before they take the append lock; the segment id makes a copy of a record inside another segment's payload
 * (a WAL stored in pacsfs) fail verification here.
 *
 * <p>Stateless; thread-safe.
 */
final class RecordFormat {
    static final int HEADER_SIZE = 20;

    private RecordFormat() {
    }

    /** A checksum already fed with {@code payload} (whose position is not changed); finish with {@link #finish}. */
    static CRC32C startCrc(ByteBuffer payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload.duplicate());
        return crc;
    }

    /** Completes a checksum started by {@link #startCrc} over the header fields and segment id. */
    static int finish(CRC32C crc, int length, long lsn, byte type, long segmentId) {
        ByteBuffer tail = ByteBuffer.allocate(24);
        tail.putLong(lsn).put(type).put((byte) 0).put((byte) 0).put((byte) 0).putInt(length).putLong(segmentId);
        crc.update(tail.array(), 0, 24);
        return (int) crc.getValue();
    }

    /** Writes the 20-byte header into {@code dst} at its position, advancing it. */
    static void putHeader(ByteBuffer dst, int length, int crc, long lsn, byte type) {
        dst.putInt(length).putInt(crc).putLong(lsn).put(type).put((byte) 0).put((byte) 0).put((byte) 0);
    }

    /** A parsed record header. Reserved bytes are kept so that the CRC check covers them as written. */
    record Header(int length, int crc, long lsn, byte type, int reserved) {
        static Header parse(ByteBuffer b, int at) {
            int reserved = ((b.get(at + 17) & 0xFF) << 16) | ((b.get(at + 18) & 0xFF) << 8) | (b.get(at + 19) & 0xFF);
            return new Header(b.getInt(at), b.getInt(at + 4), b.getLong(at + 8), b.get(at + 16), reserved);
        }

        /** True if {@code payload} (exactly {@link #length} bytes) and this header check out for {@code segmentId}. */
        boolean verifies(ByteBuffer payload, long segmentId) {
            CRC32C c = startCrc(payload);
            ByteBuffer tail = ByteBuffer.allocate(24);
            tail.putLong(lsn).put(type).put((byte) (reserved >>> 16)).put((byte) (reserved >>> 8)).put((byte) reserved)
                    .putInt(length).putLong(segmentId);
            c.update(tail.array(), 0, 24);
            return (int) c.getValue() == crc;
        }
    }
}
