package org.pacsfs.core.store;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A decorator that makes another store misbehave the ways S3 and networks do, for tests of the
 * code above the store (retries, backpressure, checksum verification).
 *
 * <ul>
 *   <li><b>Transient errors</b> at a rate: the request fails with {@link ObjectStoreException.Transient}
 *       (HTTP 503 {@code SlowDown}) before it reaches the delegate.
 *   <li><b>Lost responses</b> at a rate: the delegate performs the request, then the caller gets a
 *       {@link ObjectStoreException.Transient} as if the connection dropped. This is the case that
 *       makes a retried {@code If-None-Match} put fail with 412 although "we" wrote the object.
 *   <li><b>Latency</b> added before every request.
 *   <li><b>Outage</b>: while {@link #setOutage(boolean) on}, every request fails with a Transient
 *       error without an HTTP status, as when the endpoint is unreachable.
 *   <li><b>Truncated bodies</b> and <b>bit flips</b> at a rate on gets: the caller receives fewer
 *       bytes or one flipped bit, with the object's true ETag, as a buggy proxy or disk would deliver.
 * </ul>
 *
 * <p>Random choices come from one {@link Random} seeded by {@link Builder#seed(long)}: with one
 * thread the same seed gives the same faults; with several threads the interleaving decides.
 *
 * <p>Thread-safe if the delegate is.
 */
public final class FaultInjectingObjectStore implements ObjectStore {

    private final ObjectStore delegate;
    private final Random random;
    private final double transientErrorRate;
    private final double lostResponseRate;
    private final double truncationRate;
    private final double bitFlipRate;
    private final Duration latency;
    private volatile boolean outage;
    private final LongAdder transientErrors = new LongAdder();
    private final LongAdder lostResponses = new LongAdder();
    private final LongAdder outageRejections = new LongAdder();
    private final LongAdder truncations = new LongAdder();
    private final LongAdder bitFlips = new LongAdder();

    private FaultInjectingObjectStore(Builder b) {
        this.delegate = b.delegate;
        this.random = new Random(b.seed);
        this.transientErrorRate = b.transientErrorRate;
        this.lostResponseRate = b.lostResponseRate;
        this.truncationRate = b.truncationRate;
        this.bitFlipRate = b.bitFlipRate;
        this.latency = b.latency;
        this.outage = b.outage;
    }

    /** A builder for a decorator of {@code delegate}; with no further settings it injects nothing. */
    public static Builder builder(ObjectStore delegate) {
        return new Builder(delegate);
    }

    /** Starts ({@code true}) or ends ({@code false}) a full outage. Takes effect for requests that start afterwards. */
    public void setOutage(boolean outage) {
        this.outage = outage;
    }

    public boolean isOutage() {
        return outage;
    }

    /** How many faults of each kind were injected so far. */
    public InjectedFaults injectedFaults() {
        return new InjectedFaults(transientErrors.sum(), lostResponses.sum(), outageRejections.sum(),
                truncations.sum(), bitFlips.sum());
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition) {
        return inject("PUT", key, () -> delegate.put(key, body, condition));
    }

    @Override
    public ObjectData get(String key) {
        return corrupt(inject("GET", key, () -> delegate.get(key)));
    }

    @Override
    public ObjectData get(String key, ByteRange range) {
        return corrupt(inject("GET", key, () -> delegate.get(key, range)));
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return inject("HEAD", key, () -> delegate.head(key));
    }

    @Override
    public ListPage list(String prefix, String continuationToken, int maxKeys) {
        return inject("LIST", prefix, () -> delegate.list(prefix, continuationToken, maxKeys));
    }

    @Override
    public void delete(String key) {
        inject("DELETE", key, () -> {
            delegate.delete(key);
            return null;
        });
    }

    @Override
    public BatchDeleteResult deleteAll(Collection<String> keys) {
        return inject("DELETE", "(" + keys.size() + " keys)", () -> delegate.deleteAll(keys));
    }

    @Override
    public String location() {
        return delegate.location();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "FaultInjectingObjectStore[" + delegate + ", outage=" + outage + ", " + injectedFaults() + "]";
    }

    private <T> T inject(String operation, String target, Supplier<T> call) {
        sleepLatency();
        String where = operation + " " + location() + target;
        if (outage) {
            outageRejections.increment();
            throw new ObjectStoreException.Transient(where + ": injected outage, endpoint unreachable", 0, null, null,
                    null);
        }
        if (chance(transientErrorRate)) {
            transientErrors.increment();
            throw new ObjectStoreException.Transient(where + ": injected throttling", 503, "SlowDown", "injected",
                    null);
        }
        T result = call.get();
        if (chance(lostResponseRate)) {
            lostResponses.increment();
            throw new ObjectStoreException.Transient(where + ": injected lost response (the request was applied)", 0,
                    null, null, null);
        }
        return result;
    }

    private ObjectData corrupt(ObjectData data) {
        byte[] bytes = data.bytes();
        if (bytes.length == 0) {
            return data;
        }
        if (chance(truncationRate)) {
            truncations.increment();
            byte[] shorter = Arrays.copyOf(bytes, nextInt(bytes.length));
            return new ObjectData(shorter, data.etag(), data.objectSize());
        }
        if (chance(bitFlipRate)) {
            bitFlips.increment();
            bytes[nextInt(bytes.length)] ^= (byte) (1 << nextInt(8));
        }
        return data;
    }

    private boolean chance(double rate) {
        // Skip the draw at rate 0 so that enabling one fault does not shift the sequence of another.
        if (rate == 0.0) {
            return false;
        }
        synchronized (random) {
            return random.nextDouble() < rate;
        }
    }

    private int nextInt(int bound) {
        synchronized (random) {
            return random.nextInt(bound);
        }
    }

    private void sleepLatency() {
        if (latency.isZero()) {
            return;
        }
        try {
            Thread.sleep(latency.toMillis(), latency.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ObjectStoreException.Transient(location() + ": interrupted during injected latency", 0, null,
                    null, e);
        }
    }

    /** Counts of injected faults. */
    public record InjectedFaults(long transientErrors, long lostResponses, long outageRejections, long truncations,
            long bitFlips) {}

    /** Settings of a {@link FaultInjectingObjectStore}; every setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private final ObjectStore delegate;
        private long seed = 1;
        private double transientErrorRate;
        private double lostResponseRate;
        private double truncationRate;
        private double bitFlipRate;
        private Duration latency = Duration.ZERO;
        private boolean outage;

        private Builder(ObjectStore delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
        }

        /** The seed of the random choices (default 1). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The share of requests, 0.0..1.0, that fail with a transient error before reaching the delegate. */
        public Builder transientErrorRate(double rate) {
            this.transientErrorRate = requireRate("transientErrorRate", rate);
            return this;
        }

        /** The share of requests, 0.0..1.0, that the delegate performs but whose response is lost. */
        public Builder lostResponseRate(double rate) {
            this.lostResponseRate = requireRate("lostResponseRate", rate);
            return this;
        }

        /** The share of non-empty gets, 0.0..1.0, whose body is cut to a random shorter length. */
        public Builder truncationRate(double rate) {
            this.truncationRate = requireRate("truncationRate", rate);
            return this;
        }

        /** The share of non-empty gets, 0.0..1.0, with one random bit flipped (after truncation was not chosen). */
        public Builder bitFlipRate(double rate) {
            this.bitFlipRate = requireRate("bitFlipRate", rate);
            return this;
        }

        /** Delay added before every request (default zero). */
        public Builder latency(Duration latency) {
            Objects.requireNonNull(latency, "latency");
            if (latency.isNegative()) {
                throw new IllegalArgumentException("latency must be >= 0, got " + latency);
            }
            this.latency = latency;
            return this;
        }

        /** Whether the store starts in an outage (default false). */
        public Builder outage(boolean outage) {
            this.outage = outage;
            return this;
        }

        public FaultInjectingObjectStore build() {
            return new FaultInjectingObjectStore(this);
        }

        private static double requireRate(String name, double rate) {
            if (!(rate >= 0.0 && rate <= 1.0)) { // also rejects NaN
                throw new IllegalArgumentException(name + " must be in [0.0, 1.0], got " + rate);
            }
            return rate;
        }
    }
}
