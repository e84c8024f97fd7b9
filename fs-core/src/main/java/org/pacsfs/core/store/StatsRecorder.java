package org.pacsfs.core.store;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Lock-free request and byte counters per operation. Thread-safe; a snapshot is not atomic across operations. */
final class StatsRecorder {
    private final Map<StoreOperation, LongAdder> requests = new EnumMap<>(StoreOperation.class);
    private final Map<StoreOperation, LongAdder> bytes = new EnumMap<>(StoreOperation.class);

    StatsRecorder() {
        for (StoreOperation op : StoreOperation.values()) {
            requests.put(op, new LongAdder());
            bytes.put(op, new LongAdder());
        }
    }

    void request(StoreOperation op) {
        requests.get(op).increment();
    }

    void bytes(StoreOperation op, long count) {
        bytes.get(op).add(count);
    }

    StoreStats snapshot() {
        var counts = new EnumMap<StoreOperation, StoreStats.Counts>(StoreOperation.class);
        for (StoreOperation op : StoreOperation.values()) {
            counts.put(op, new StoreStats.Counts(requests.get(op).sum(), bytes.get(op).sum()));
        }
        return new StoreStats(counts);
    }

    void reset() {
        requests.values().forEach(LongAdder::reset);
        bytes.values().forEach(LongAdder::reset);
    }
}
