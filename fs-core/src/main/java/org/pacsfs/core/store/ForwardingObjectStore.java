package org.pacsfs.core.store;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link ObjectStore} that passes every call to another one: the base of decorators that change a few operations
 * (counting, scripted failures, gates in tests) and leave the rest alone.
 */
public abstract class ForwardingObjectStore implements ObjectStore {
    private final ObjectStore delegate;

    protected ForwardingObjectStore(ObjectStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The store calls are passed to. */
    protected ObjectStore delegate() {
        return delegate;
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition) {
        return delegate.put(key, body, condition);
    }

    // put(key, body, condition, crc32c) is deliberately not forwarded here: its default calls put(key, body, condition),
    // which a subclass may override (fault injection, scripted failures, counting); forwarding it straight to the
    // delegate would let chunk PUTs bypass that override. A subclass that passes the CRC32C on overrides both.

    @Override
    public ObjectData get(String key) {
        return delegate.get(key);
    }

    @Override
    public ObjectData get(String key, ByteRange range) {
        return delegate.get(key, range);
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return delegate.head(key);
    }

    @Override
    public ListPage list(String prefix, String continuationToken, int maxKeys) {
        return delegate.list(prefix, continuationToken, maxKeys);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public BatchDeleteResult deleteAll(Collection<String> keys) {
        return delegate.deleteAll(keys);
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
