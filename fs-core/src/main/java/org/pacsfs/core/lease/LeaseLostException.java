package org.pacsfs.core.lease;

/**
 * This mount held the lease and does no longer: another mount took it over ({@code --take-over}) or
 * the lease object was deleted. The mount must stop writing to the bucket; what it holds locally
 * stays in its write-log.
 */
public final class LeaseLostException extends LeaseException {

    LeaseLostException(String message) {
        super(message);
    }
}
