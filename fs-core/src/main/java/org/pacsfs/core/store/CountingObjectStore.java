package org.pacsfs.core.store;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Counts every request passed to the store below by operation and outcome, and the body bytes moved, for monitoring.
 * Put it directly above the store that talks to the server (under any retrying layer), so that each attempt counts:
 * S3 bills attempts, and a retry storm must show. Lock-free and thread-safe; a reading of several counters is not
 * atomic across them.
 */
public final class CountingObjectStore extends ForwardingObjectStore {

    /** How a request ended; the error classes are those of {@link ObjectStoreException}. */
    public enum Outcome {
        OK,
        /** HTTP 404: no such key (for a get or head an answer rather than a fault, but S3 bills it all the same). */
        NOT_FOUND,
        /** HTTP 412: a conditional put lost (If-None-Match or If-Match). */
        PRECONDITION_FAILED,
        /** Throttling, server errors, timeouts, refused connections: worth retrying. */
        TRANSIENT,
        /** Denied, bad credentials, no such bucket, bad request: retrying will not help. */
        PERMANENT,
        /** Anything else that escaped the store (a bug or a JVM error): counted so that no request goes missing. */
        OTHER
    }

    private final Map<StoreOperation, LongAdder[]> requests = new EnumMap<>(StoreOperation.class);
    private final StatsRecorder bytes = new StatsRecorder();

    public CountingObjectStore(ObjectStore delegate) {
        super(delegate);
        for (StoreOperation op : StoreOperation.values()) {
            LongAdder[] byOutcome = new LongAdder[Outcome.values().length];
            for (int i = 0; i < byOutcome.length; i++) {
                byOutcome[i] = new LongAdder();
            }
            requests.put(op, byOutcome);
        }
    }

    /** Requests of one operation that ended one way, since this store was made. */
    public long requests(StoreOperation op, Outcome outcome) {
        return requests.get(op)[outcome.ordinal()].sum();
    }

    /** Body bytes of successful requests: sent for puts, received for gets, 0 for the other operations. */
    public long bytes(StoreOperation op) {
        return bytes.snapshot().bytes(op);
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition) {
        int size = body.remaining();
        String etag = count(StoreOperation.PUT, () -> super.put(key, body, condition));
        bytes.bytes(StoreOperation.PUT, size);
        return etag;
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition, int crc32c) {
        int size = body.remaining();
        String etag = count(StoreOperation.PUT, () -> delegate().put(key, body, condition, crc32c));
        bytes.bytes(StoreOperation.PUT, size);
        return etag;
    }

    @Override
    public ObjectData get(String key) {
        return received(count(StoreOperation.GET, () -> super.get(key)));
    }

    @Override
    public ObjectData get(String key, ByteRange range) {
        return received(count(StoreOperation.GET, () -> super.get(key, range)));
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        Optional<ObjectInfo> info = count(StoreOperation.HEAD, () -> super.head(key));
        // S3 answered 404 when empty; the store reports that as a result rather than an exception.
        tally(StoreOperation.HEAD, info.isEmpty() ? Outcome.NOT_FOUND : Outcome.OK);
        return info;
    }

    @Override
    public ListPage list(String prefix, String continuationToken, int maxKeys) {
        return count(StoreOperation.LIST, () -> super.list(prefix, continuationToken, maxKeys));
    }

    @Override
    public void delete(String key) {
        count(StoreOperation.DELETE, () -> {
            super.delete(key);
            return null;
        });
    }

    @Override
    public BatchDeleteResult deleteAll(Collection<String> keys) {
        return count(StoreOperation.DELETE_BATCH, () -> super.deleteAll(keys));
    }

    private ObjectData received(ObjectData data) {
        bytes.bytes(StoreOperation.GET, data.bytes().length);
        return data;
    }

    /** Runs one request, tallying a failure by its class and a success (except a head's, which its caller tallies). */
    private <T> T count(StoreOperation op, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException | Error e) {
            tally(op, outcomeOf(e));
            throw e;
        }
        if (op != StoreOperation.HEAD) {
            tally(op, Outcome.OK);
        }
        return result;
    }

    private void tally(StoreOperation op, Outcome outcome) {
        requests.get(op)[outcome.ordinal()].increment();
    }

    static Outcome outcomeOf(Throwable e) {
        if (e instanceof ObjectStoreException.NotFound) {
            return Outcome.NOT_FOUND;
        }
        if (e instanceof ObjectStoreException.PreconditionFailed) {
            return Outcome.PRECONDITION_FAILED;
        }
        if (e instanceof ObjectStoreException.Transient) {
            return Outcome.TRANSIENT;
        }
        if (e instanceof ObjectStoreException.Permanent) {
            return Outcome.PERMANENT;
        }
        return Outcome.OTHER;
    }
}
