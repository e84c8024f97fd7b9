package org.pacsfs.core.history;

/** GC could not run (or continue): no filesystem at the location, a log that cannot be walked, a resume file that does not fit. */
public final class GcException extends Exception {
    public GcException(String message) {
        super(message);
    }

    public GcException(String message, Throwable cause) {
        super(message, cause);
    }
}
