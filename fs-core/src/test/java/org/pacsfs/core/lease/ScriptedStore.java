package org.pacsfs.core.lease;

import org.pacsfs.core.store.ForwardingObjectStore;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;

/**
 * A decorator for failures the fault-injecting store does not make on demand: the next puts fail
 * with a given exception before reaching the delegate, or are applied and then answered with a
 * transient error (a lost response). Counts puts.
 */
final class ScriptedStore extends ForwardingObjectStore {

    private final ObjectStore delegate;
    private volatile Supplier<? extends RuntimeException> failPuts;
    private final AtomicInteger loseNextPutResponses = new AtomicInteger();
    private final AtomicInteger puts = new AtomicInteger();

    ScriptedStore(ObjectStore delegate) {
         super(delegate);
        this.delegate = delegate;
    }

    /** Every put fails with {@code failure.get()} until cleared with {@code null}. */
    void failPuts(Supplier<? extends RuntimeException> failure) {
        this.failPuts = failure;
    }

    /** The next {@code n} puts are applied, then answered with a transient error. */
    void loseNextPutResponses(int n) {
        loseNextPutResponses.set(n);
    }

    /** Puts that reached the delegate. */
    int puts() {
        return puts.get();
    }

    static ObjectStoreException.Permanent accessDenied() {
        return new ObjectStoreException.Permanent(ObjectStoreException.Permanent.Reason.ACCESS_DENIED,
                "PUT lease: scripted access denied", 403, "AccessDenied", "scripted", null);
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition) {
        var failure = failPuts;
        if (failure != null) {
            throw failure.get();
        }
        String etag = delegate.put(key, body, condition);
        puts.incrementAndGet();
        if (loseNextPutResponses.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new ObjectStoreException.Transient("PUT " + key + ": scripted lost response", 0, null, null, null);
        }
        return etag;
    }








}
