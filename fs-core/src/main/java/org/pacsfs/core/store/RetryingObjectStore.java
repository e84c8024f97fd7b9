package org.pacsfs.core.store;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries {@link ObjectStoreException.Transient} failures of every operation with capped exponential backoff and
 * jitter, for at most {@code maxElapsed}; other failures pass through at once. For work that must not fail on a
 * brief S3 hiccup but must not hang forever either (mount-time reads). A conditional PUT whose first response was
 * lost may come back as {@link ObjectStoreException.PreconditionFailed} on the retry: callers of conditional puts
 * already handle that case.
 */
public final class RetryingObjectStore implements ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingObjectStore.class);

    private final ObjectStore delegate;
    private final Duration maxElapsed;
    private final Duration maxBackoff;

    public RetryingObjectStore(ObjectStore delegate, Duration maxElapsed, Duration maxBackoff) {
        this.delegate = delegate;
        this.maxElapsed = maxElapsed;
        this.maxBackoff = maxBackoff;
    }

    private <T> T retry(String what, Supplier<T> op) {
        long deadline = System.nanoTime() + maxElapsed.toNanos();
        long delayMs = 50;
        for (int attempt = 1; ; attempt++) {
            try {
                return op.get();
            } catch (ObjectStoreException.Transient e) {
                if (System.nanoTime() + delayMs * 1_000_000 > deadline) {
                    throw e;
                }
                LOG.warn("{} failed transiently (attempt {}): {}; retrying", what, attempt, e.getMessage());
                try {
                    Thread.sleep(delayMs / 2 + ThreadLocalRandom.current().nextLong(delayMs / 2 + 1));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delayMs = Math.min(maxBackoff.toMillis(), delayMs * 2);
            }
        }
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition) {
        return retry("PUT " + key, () -> delegate.put(key, body.duplicate(), condition));
    }

    @Override
    public ObjectData get(String key) {
        return retry("GET " + key, () -> delegate.get(key));
    }

    @Override
    public ObjectData get(String key, ByteRange range) {
        return retry("GET " + key, () -> delegate.get(key, range));
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return retry("HEAD " + key, () -> delegate.head(key));
    }

    @Override
    public ListPage list(String prefix, String continuationToken, int maxKeys) {
        return retry("LIST " + prefix, () -> delegate.list(prefix, continuationToken, maxKeys));
    }

    @Override
    public void delete(String key) {
        retry("DELETE " + key, () -> {
            delegate.delete(key);
            return null;
        });
    }

    @Override
    public BatchDeleteResult deleteAll(Collection<String> keys) {
        return retry("DELETE (batch)", () -> delegate.deleteAll(keys));
    }

    @Override
    public String location() {
        return delegate.location();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
