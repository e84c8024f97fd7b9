package org.pacsfs.core.store;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the requests a store received and the body bytes it transferred, per operation.
 * Requests that failed count too: S3 bills them, and a retry storm should be visible.
 */
public record StoreStats(Map<StoreOperation, Counts> byOperation) {

    public StoreStats {
        var copy = new EnumMap<StoreOperation, Counts>(StoreOperation.class);
        for (StoreOperation op : StoreOperation.values()) {
            copy.put(op, byOperation.getOrDefault(op, Counts.ZERO));
        }
        byOperation = Map.copyOf(copy);
    }

    /** Requests of one kind. */
    public long requests(StoreOperation op) {
        return byOperation.get(op).requests();
    }

    /** Body bytes of one kind: sent for puts, received for gets, {@code 0} for the rest. */
    public long bytes(StoreOperation op) {
        return byOperation.get(op).bytes();
    }

    /** Requests of all kinds. */
    public long totalRequests() {
        return byOperation.values().stream().mapToLong(Counts::requests).sum();
    }

    /** Request and byte counts of one operation. */
    public record Counts(long requests, long bytes) {
        public static final Counts ZERO = new Counts(0, 0);
    }
}
