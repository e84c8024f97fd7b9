package org.pacsfs.core.bucket;

/**
 * The superblock ({@code pacsfs.json}) cannot be used: it is of a format this pacsfs does not read, or it
 * is not a valid pacsfs superblock. Mounting must stop; the message says why and where.
 */
public final class SuperblockException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the superblock was refused. */
    public enum Reason {
        /** A format version newer than this pacsfs reads: upgrade pacsfs. */
        UNSUPPORTED_FORMAT,
        /** Not a valid superblock: not JSON, wrong magic, missing or unknown members, bad values, checksum mismatch. */
        INVALID
    }

    private final Reason reason;

    public SuperblockException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public SuperblockException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
