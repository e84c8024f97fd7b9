package org.pacsfs.wal;

import java.util.NoSuchElementException;

/**
 * Iterates records in LSN order from a starting LSN, for replay and for the flusher (see {@link WriteLog#readFrom}).
 * Every record is CRC32C-verified. The cursor follows the live tail: {@link #next()} returns false once it has passed
 * {@link WriteLog#lastLsn()} as of that call, and may return true again after more appends. It sees records that are
 * appended but not yet synced (use {@link WriteLog#syncedLsn()} to stop at the durable prefix).
 *
 * <p>Not thread-safe: one cursor per thread. Many cursors may run concurrently with appends and syncs.
 */
public final class RecordCursor implements AutoCloseable {
    private final WriteLog log;
    private long nextLsn;
    private LogSegment segment;
    private long position;
    private WalRecord current;
    private boolean closed;

    RecordCursor(WriteLog log, long fromLsn) {
        this.log = log;
        this.nextLsn = fromLsn;
    }

    /**
     * Advances to the next record.
     *
     * @return false if there is no record with LSN {@link #nextLsn()} yet
     * @throws WriteLogCorruptException if the record fails verification
     * @throws WriteLogRecordMismatchException if the record was released meanwhile
     */
    public boolean next() throws WriteLogException {
        if (closed) {
            throw new IllegalStateException("cursor closed");
        }
        if (nextLsn > log.lastLsn()) {
            return false;
        }
        if (segment == null || !segment.holds(nextLsn) || position >= segment.end()) {
            seek();
        }
        try {
            current = log.readAt(segment, position, nextLsn);
        } catch (WriteLogException e) {
            if (segment.holds(nextLsn)) {
                throw e;
            }
            // The record moved to a new segment while we read it (the log rewrote unsynced records after a failed force).
            seek();
            current = log.readAt(segment, position, nextLsn);
        }
        position += RecordFormat.HEADER_SIZE + current.payloadLength();
        nextLsn++;
        return true;
    }

    private void seek() throws WriteLogException {
        WriteLog.Location at = log.locate(nextLsn);
        segment = at.segment();
        position = at.position();
    }

    /** The record {@link #next()} moved to. */
    public WalRecord record() {
        if (current == null) {
            throw new NoSuchElementException("call next() first");
        }
        return current;
    }

    /** The LSN the next call of {@link #next()} looks for. */
    public long nextLsn() {
        return nextLsn;
    }

    @Override
    public void close() {
        closed = true;
        current = null;
    }
}
