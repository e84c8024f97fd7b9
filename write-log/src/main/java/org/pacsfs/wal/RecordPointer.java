package org.pacsfs.wal;

/**
 * Where a record lives: the id of its segment and the byte position of its record header in that segment file.
 * Enough for random access through {@link WriteLog#read} and {@link WriteLog#readPayload}. Always pair it with the
 * record's LSN when reading: the log verifies that the record found there carries that LSN.
 *
 * <p>A pointer stays usable until the record is released. If the log had to move unsynced records to a new segment
 * (after a failed force or write) the old pointer is redirected transparently while the log stays open; after a
 * restart, use the pointers produced by {@link WriteLog#readFrom(long)} during replay.
 *
 * @param segmentId id of the segment file (its file name)
 * @param position  byte offset of the record header within the segment file
 */
public record RecordPointer(long segmentId, long position) {
    public RecordPointer {
        if (segmentId < 1) {
            throw new IllegalArgumentException("segmentId must be >= 1, was " + segmentId);
        }
        if (position < SegmentHeader.SIZE) {
            throw new IllegalArgumentException("position must be >= " + SegmentHeader.SIZE + " (after the segment header), was " + position);
        }
    }
}
