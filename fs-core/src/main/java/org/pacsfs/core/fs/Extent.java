package org.pacsfs.core.fs;

import java.nio.ByteBuffer;

/**
 * A run of file bytes within one block of a file (see {@link ExtentList}) and where they are stored. Today the only
 * source is a write-log record ({@link #SOURCE_WAL}); the shipping to S3 adds chunk sources, which is why every
 * extent carries its source kind.
 *
 * @param start         first byte, relative to the start of the block
 * @param length        number of bytes
 * @param segmentId     write-log segment of the record holding the bytes
 * @param position      position of that record in its segment
 * @param lsn           LSN of that record: a read checks it, so that a pointer never returns another record's bytes
 * @param payloadOffset where this extent's first byte sits in the record's payload
 */
record Extent(int start, int length, byte source, long segmentId, long position, long lsn, int payloadOffset) {
    static final byte SOURCE_WAL = 1;
    static final int ENCODED_SIZE = 4 + 4 + 1 + 8 + 8 + 8 + 4;

    int end() {
        return start + length;
    }

    /** The part of this extent within [from, to), which must overlap it. */
    Extent slice(int from, int to) {
        int s = Math.max(start, from);
        int e = Math.min(end(), to);
        return new Extent(s, e - s, source, segmentId, position, lsn, payloadOffset + (s - start));
    }

    /** True if {@code next} continues this extent in the same record (they can be one extent). */
    boolean continuedBy(Extent next) {
        return next.start == end() && next.source == source && next.segmentId == segmentId
                && next.position == position && next.lsn == lsn && next.payloadOffset == payloadOffset + length;
    }

    void encode(ByteBuffer out) {
        out.putInt(start).putInt(length).put(source).putLong(segmentId).putLong(position).putLong(lsn).putInt(payloadOffset);
    }

    static Extent decode(ByteBuffer in) {
        return new Extent(in.getInt(), in.getInt(), in.get(), in.getLong(), in.getLong(), in.getLong(), in.getInt());
    }
}
