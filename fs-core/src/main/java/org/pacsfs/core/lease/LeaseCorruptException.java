package org.pacsfs.core.lease;

/**
 * The lease object exists but is not a lease this pacsfs can read (damaged, truncated, written by
 * something else or by a newer format). A mount refuses to start over it unless told to take over.
 */
public final class LeaseCorruptException extends LeaseException {

    private final String where;
    private final String reason;

    LeaseCorruptException(String where, String reason) {
        this(where, reason, null);
    }

    LeaseCorruptException(String where, String reason, String advice) {
        super("the lease object " + where + " is unreadable: " + reason + (advice == null ? "" : "; " + advice));
        this.where = where;
        this.reason = reason;
    }

    /** The same failure with advice for the operator appended to the message. */
    LeaseCorruptException withAdvice(String advice) {
        return new LeaseCorruptException(where, reason, advice);
    }

    /** The object, e.g. {@code s3://bucket/fs1/lease}. */
    public String where() {
        return where;
    }

    /** What is wrong with it. */
    public String reason() {
        return reason;
    }
}
