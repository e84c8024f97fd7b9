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

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition, int crc32c) {
        return delegate.put(key, body, condition, crc32c);
    }

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
