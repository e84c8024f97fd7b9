package org.pacsfs.core.fs;

import java.nio.ByteBuffer;

/**
 * A run of file bytes within one block of a file (see {@link ExtentList}) and where they are stored: in a write-log
 * record ({@link #SOURCE_WAL}, not shipped yet) or in a chunk object in the bucket ({@link #SOURCE_CHUNK}).
 *
 * @param start         first byte, relative to the start of the block
 * @param length        number of bytes
 * @param segmentId     WAL: write-log segment of the record holding the bytes; CHUNK: high 8 bytes of the chunk id
 * @param position      WAL: position of that record in its segment; CHUNK: low 8 bytes of the chunk id
 * @param lsn           WAL: LSN of that record, checked on every read so that a pointer never returns another
 *                      record's bytes; CHUNK: 0
 * @param payloadOffset WAL: where this extent's first byte sits in the record's payload; CHUNK: in the chunk's data
 */
record Extent(int start, int length, byte source, long segmentId, long position, long lsn, int payloadOffset) {
    static final byte SOURCE_WAL = 1;
    static final byte SOURCE_CHUNK = 2;
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
