package org.pacsfs.wal;

import java.nio.ByteBuffer;

/**
 * One record read back from the log, its CRC32C verified.
 *
 * @param lsn     log sequence number
 * @param type    the caller-defined type byte given to {@link WriteLog#append}
 * @param payload the payload, a read-only buffer owned by the caller (position 0, limit = payload length)
 * @param pointer where the record was read from
 */
public record WalRecord(long lsn, byte type, ByteBuffer payload, RecordPointer pointer) {
    /** Payload length in bytes. */
    public int payloadLength() {
        return payload.remaining();
    }

    /** A copy of the payload bytes. */
    public byte[] payloadBytes() {
        byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        return bytes;
    }
}
