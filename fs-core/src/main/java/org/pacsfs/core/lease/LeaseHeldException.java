package org.pacsfs.core.lease;

import java.util.Objects;

/**
 * Another mount holds the lease (or held it and did not release it): this mount may not write. The
 * message names the holder and when its lease expires (or expired), and what the operator can do.
 */
public final class LeaseHeldException extends LeaseException {

    private final transient LeaseRecord holder;
    private final boolean expired;

    LeaseHeldException(String message, LeaseRecord holder, boolean expired) {
        super(message);
        this.holder = Objects.requireNonNull(holder, "holder");
        this.expired = expired;
    }

    /** The lease as read from the store. */
    public LeaseRecord holder() {
        return holder;
    }

    /** Whether the holder's lease had expired (it crashed, or lost contact with the store) when we looked. */
    public boolean expired() {
        return expired;
    }
}
