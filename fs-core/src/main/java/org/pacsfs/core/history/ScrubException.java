package org.pacsfs.core.history;

/** A scrub could not run (or continue): no filesystem at the location, a resume file that does not fit, local I/O. */
public final class ScrubException extends Exception {
    public ScrubException(String message) {
        super(message);
    }

    public ScrubException(String message, Throwable cause) {
        super(message, cause);
    }
}
