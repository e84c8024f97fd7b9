package org.pacsfs.wal;

import java.io.IOException;

/**
 * Base of every failure the write log reports. Messages say what happened and where (segment file, byte position,
 * LSN). Subclasses: {@link WriteLogFullException}, {@link WriteLogCorruptException},
 * {@link WriteLogReadOnlyException}, {@link WriteLogRecordMismatchException}. A plain {@code WriteLogException}
 * wraps an I/O error (disk full, EIO, closed channel) as its cause; the log stays consistent after it.
 */
public sealed class WriteLogException extends IOException
        permits WriteLogFullException, WriteLogCorruptException, WriteLogReadOnlyException, WriteLogRecordMismatchException {
    private static final long serialVersionUID = 1L;

    public WriteLogException(String message) {
        super(message);
    }

    public WriteLogException(String message, Throwable cause) {
        super(message, cause);
    }
}
