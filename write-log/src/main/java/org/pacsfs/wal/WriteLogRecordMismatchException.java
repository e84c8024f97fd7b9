package org.pacsfs.wal;

/**
 * A random read found no record with the expected LSN at the given pointer (stale or wrong pointer, or a released
 * record). No bytes of another record are ever returned instead.
 */
public final class WriteLogRecordMismatchException extends WriteLogException {
    private static final long serialVersionUID = 1L;

    public WriteLogRecordMismatchException(String message) {
        super(message);
    }
}
