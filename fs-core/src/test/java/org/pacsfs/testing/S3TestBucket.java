package org.pacsfs.testing;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.pacsfs.core.store.embedded.S3ProxyProcess;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3ObjectStore;

/**
 * A fresh, empty bucket on the test JVM's S3Proxy, with what it takes to reach it. Stores made by
 * {@link #newStore()} are closed after the test. Thread-safe.
 */
public final class S3TestBucket implements AutoCloseable {

    private final S3ProxyProcess server;
    private final String name;
    private final List<S3ObjectStore> stores = new ArrayList<>();

    S3TestBucket(S3ProxyProcess server, String name) {
        this.server = server;
        this.name = name;
    }

    /** A bucket (already created) on a server a test started itself, e.g. with other settings than the shared one. */
    public static S3TestBucket of(S3ProxyProcess server, String name) {
        return new S3TestBucket(server, name);
    }

    public String name() {
        return name;
    }

    public URI endpoint() {
        return server.endpoint();
    }

    public String region() {
        return server.region();
    }

    public String accessKeyId() {
        return server.accessKeyId();
    }

    public String secretAccessKey() {
        return server.secretAccessKey();
    }

    /** The server, e.g. to create more buckets or to read its log. */
    public S3ProxyProcess server() {
        return server;
    }

    /** A config for this bucket (endpoint, region, path-style, keys), to adjust before {@code build()}. */
    public S3Config.Builder config() {
        return server.configFor(name);
    }

    /** A store on this bucket with the default settings. */
    public S3ObjectStore newStore() {
        return newStore(UnaryOperator.identity());
    }

    /** A store on this bucket with settings adjusted by {@code customizer}, e.g. {@code c -> c.prefix("fs1/")}. */
    public synchronized S3ObjectStore newStore(UnaryOperator<S3Config.Builder> customizer) {
        S3ObjectStore store = S3ObjectStore.open(customizer.apply(config()).build());
        stores.add(store);
        return store;
    }

    @Override
    public synchronized void close() {
        stores.forEach(S3ObjectStore::close);
        stores.clear();
    }

    @Override
    public String toString() {
        return "S3TestBucket[" + name + " at " + endpoint() + "]";
    }
}
