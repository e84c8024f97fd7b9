package org.pacsfs.wal;

import java.nio.ByteBuffer;

/**
 * Re-seals records copied from one segment for another: the record CRC32C covers the segment id, so every record
 * moved after a failed force or write gets a new checksum. Stateless.
 */
final class RewrittenRecords {
    private RewrittenRecords() {
    }

    /** Rewrites, in place, the CRC32C of the one encoded record in {@code record} (from position 0) for segment {@code segmentId}. */
    static void resealOne(ByteBuffer record, long segmentId) {
        RecordFormat.Header h = RecordFormat.Header.parse(record, 0);
        ByteBuffer payload = record.slice(RecordFormat.HEADER_SIZE, h.length());
        int crc = RecordFormat.finish(RecordFormat.startCrc(payload), h.length(), h.lsn(), h.type(), segmentId);
        record.putInt(4, crc);
    }
}
