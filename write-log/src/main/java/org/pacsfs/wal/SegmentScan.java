package org.pacsfs.wal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Verifies the records of one segment image in memory, from the header on, and says where the valid prefix ends
 * and why. Pure function of its inputs; thread-safe.
 */
final class SegmentScan {
    enum Stop { END_OF_FILE, INVALID, SUPERSEDED }

    final long validEnd;
    final long lastValidLsn;
    final Stop stop;
    final String reason;
    final List<long[]> index;

    private SegmentScan(long validEnd, long lastValidLsn, Stop stop, String reason, List<long[]> index) {
        this.validEnd = validEnd;
        this.lastValidLsn = lastValidLsn;
        this.stop = stop;
        this.reason = reason;
        this.index = index;
    }

    /**
     * Scans {@code image} (the whole file) of segment {@code header}, accepting records with consecutive LSNs from
     * the header's first LSN up to {@code lsnLimit}.
     */
    static SegmentScan scan(ByteBuffer image, SegmentHeader header, long lsnLimit) {
        int size = image.limit();
        int pos = SegmentHeader.SIZE;
        long expect = header.firstLsn();
        List<long[]> index = new ArrayList<>();
        long lastIndexed = Long.MIN_VALUE;
        while (true) {
            String bad = check(image, pos, expect, header.segmentId());
            if (bad == null && pos == size) {
                return new SegmentScan(pos, expect - 1, Stop.END_OF_FILE, "end of file", index);
            }
            if (bad != null) {
                return new SegmentScan(pos, expect - 1, Stop.INVALID, bad, index);
            }
            if (expect > lsnLimit) {
                return new SegmentScan(pos, expect - 1, Stop.SUPERSEDED, "LSN " + expect + " and later are superseded by the next segment", index);
            }
            if (pos - lastIndexed >= LogSegment.INDEX_INTERVAL) {
                index.add(new long[] {expect, pos});
                lastIndexed = pos;
            }
            pos += RecordFormat.HEADER_SIZE + image.getInt(pos);
            expect++;
        }
    }

    /** Null if a valid record with LSN {@code expect} starts at {@code pos} (or {@code pos} is the end); else why not. */
    private static String check(ByteBuffer image, int pos, long expect, long segmentId) {
        int size = image.limit();
        if (pos == size) {
            return null;
        }
        if (size - pos < RecordFormat.HEADER_SIZE) {
            return "torn record header (" + (size - pos) + " of " + RecordFormat.HEADER_SIZE + " bytes)";
        }
        RecordFormat.Header h = RecordFormat.Header.parse(image, pos);
        if (h.length() < 0 || h.length() > size - pos - RecordFormat.HEADER_SIZE) {
            return "record length " + h.length() + " runs past the end of the file (torn payload or bad length)";
        }
        if (!h.verifies(image.slice(pos + RecordFormat.HEADER_SIZE, h.length()), segmentId)) {
            return "record CRC32C mismatch";
        }
        if (h.lsn() != expect) {
            return "record LSN " + h.lsn() + " where LSN " + expect + " was expected";
        }
        return null;
    }

    /**
     * Looks for a valid record with an LSN above {@code lastValidLsn} anywhere after {@code badPos}: if there is one,
     * the bad bytes are corruption in the middle of the log, not a torn tail. Only plausible LSNs are checksummed, so
     * the scan costs about one header parse per byte.
     *
     * @return {LSN, position} of the first such record, or null
     */
    static long[] findValidRecordAfter(ByteBuffer image, int badPos, long lastValidLsn, long segmentId) {
        int size = image.limit();
        long maxLsn = lastValidLsn + 1 + (size - badPos) / RecordFormat.HEADER_SIZE;
        for (int q = badPos + 1; q <= size - RecordFormat.HEADER_SIZE; q++) {
            long lsn = image.getLong(q + 8);
            if (lsn <= lastValidLsn || lsn > maxLsn) {
                continue;
            }
            int len = image.getInt(q);
            if (len < 0 || len > size - q - RecordFormat.HEADER_SIZE) {
                continue;
            }
            RecordFormat.Header h = RecordFormat.Header.parse(image, q);
            if (h.verifies(image.slice(q + RecordFormat.HEADER_SIZE, len), segmentId)) {
                return new long[] {lsn, q};
            }
        }
        return null;
    }
}
