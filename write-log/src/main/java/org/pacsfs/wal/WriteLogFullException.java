package org.pacsfs.wal;

/**
 * "write log full": an append waited {@link WriteLogConfig#maxWaitWhenFull()} for {@link WriteLog#release} to free
 * space below {@link WriteLogConfig#capacityBytes()} and gave up. Nothing was appended.
 */
public final class WriteLogFullException extends WriteLogException {
    private static final long serialVersionUID = 1L;

    public WriteLogFullException(String message) {
        super(message);
    }
}
