package org.pacsfs.wal;

import java.nio.ByteBuffer;

/**
 * Re-seals records copied from one segment for another: the record CRC32C covers the segment id, so every record
 * moved after a failed force or write gets a new checksum. Stateless.
 */
final class RewrittenRecords {
    private RewrittenRecords() {
    }

    /**
     * Rewrites, in place, the CRC32C of every record in {@code records} (consecutive encoded records starting at
     * position 0) for segment {@code target}, and indexes them as if written at {@link SegmentHeader#SIZE}.
     *
     * @return the LSN of the last record, or {@code target.firstLsn() - 1} if there is none
     */
    static long reseal(ByteBuffer records, LogSegment target) {
        long lsn = target.firstLsn() - 1;
        int at = 0;
        while (at < records.limit()) {
            RecordFormat.Header h = RecordFormat.Header.parse(records, at);
            ByteBuffer payload = records.slice(at + RecordFormat.HEADER_SIZE, h.length());
            int crc = RecordFormat.finish(RecordFormat.startCrc(payload), h.length(), h.lsn(), h.type(), target.id());
            records.putInt(at + 4, crc);
            target.maybeIndex(h.lsn(), SegmentHeader.SIZE + at);
            lsn = h.lsn();
            at += RecordFormat.HEADER_SIZE + h.length();
        }
        return lsn;
    }
}
