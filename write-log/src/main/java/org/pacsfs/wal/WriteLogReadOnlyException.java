package org.pacsfs.wal;

/**
 * The log stopped accepting writes: a force failed and moving the unsynced records to a new segment failed too
 * (see PITFALLS "fsync errors": a failed force is never retried). Records synced before remain readable; records
 * appended but not synced may be lost. The cause is the I/O error that made the log read-only. Reopen the log
 * (after fixing the disk) to write again.
 */
public final class WriteLogReadOnlyException extends WriteLogException {
    private static final long serialVersionUID = 1L;

    public WriteLogReadOnlyException(String message, Throwable cause) {
        super(message, cause);
    }
}
