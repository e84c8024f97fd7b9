package org.pacsfs.core.lease;

/**
 * Why the filesystem may not (or may no longer) be written by this mount. Unchecked, like {@link
 * org.pacsfs.core.store.ObjectStoreException}; failures to reach the store during {@link
 * Lease#acquire} are thrown as those.
 */
public abstract sealed class LeaseException extends RuntimeException
        permits LeaseHeldException, LeaseLostException, LeaseCorruptException {

    LeaseException(String message) {
        super(message);
    }
}
