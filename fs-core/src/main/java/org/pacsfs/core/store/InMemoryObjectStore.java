package org.pacsfs.core.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@link ObjectStore} in memory with the semantics of S3: MD5 ETags, atomic conditional puts,
 * range gets with S3's end-of-object rules, listings in UTF-8 byte order with opaque continuation
 * tokens, idempotent deletes, last-modified times in whole seconds.
 *
 * <p>It counts requests and bytes per operation ({@link #stats()}), which is how tests assert
 * request costs (e.g. "small files are packed: 1,000 files cost 3 PUTs"). Batch deletes are counted
 * per request of up to 1,000 keys, as S3 bills them.
 *
 * <p>With {@link Builder#shuffleListings(long)} the entries within each list page come in a random
 * (seeded) order. S3 itself returns them sorted; the option exists to catch code that silently
 * depends on that order where it should not (e.g. code that takes "the last entry" of a page as its
 * largest key), while page boundaries still follow key order so pagination stays correct.
 *
 * <p>Thread-safe: every operation on one key is atomic. Listings are weakly consistent with
 * concurrent writes, as in S3.
 */
public final class InMemoryObjectStore implements ObjectStore {

    private final ConcurrentNavigableMap<String, StoredObject> objects = new ConcurrentSkipListMap<>(ObjectKeys.S3_ORDER);
    private final StatsRecorder stats = new StatsRecorder();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final String name;
    private final Clock clock;
    private final Random shuffle;

    /** An ordered, UTC-clocked store named {@code memory}. */
    public InMemoryObjectStore() {
        this(builder());
    }

    private InMemoryObjectStore(Builder builder) {
        this.name = builder.name;
        this.clock = builder.clock;
        this.shuffle = builder.shuffleSeed == null ? null : new Random(builder.shuffleSeed);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The requests and bytes counted since creation or the last {@link #resetStats()}. */
    public StoreStats stats() {
        return stats.snapshot();
    }

    /** Sets all counters to zero, e.g. after a test's setup. */
    public void resetStats() {
        stats.reset();
    }

    /** The number of objects stored now. */
    public int size() {
        return objects.size();
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition) {
        checkOpen();
        ObjectKeys.requireValid(key);
        Objects.requireNonNull(condition, "condition");
        byte[] bytes = copyRemaining(body);
        stats.request(StoreOperation.PUT);
        stats.bytes(StoreOperation.PUT, bytes.length);
        var stored = new StoredObject(bytes, etagOf(bytes), clock.instant().truncatedTo(ChronoUnit.SECONDS));
        // compute() is atomic per key; throwing from the function leaves the mapping unchanged.
        objects.compute(key, (k, current) -> {
            if (!holds(condition, current)) {
                throw preconditionFailed(key, condition);
            }
            return stored;
        });
        return stored.etag();
    }

    @Override
    public ObjectData get(String key) {
        StoredObject stored = lookupForGet(key);
        stats.bytes(StoreOperation.GET, stored.bytes().length);
        return new ObjectData(stored.bytes().clone(), stored.etag(), stored.bytes().length);
    }

    @Override
    public ObjectData get(String key, ByteRange range) {
        Objects.requireNonNull(range, "range");
        StoredObject stored = lookupForGet(key);
        int size = stored.bytes().length;
        if (range.offset() >= size) {
            throw new ObjectStoreException.Permanent(ObjectStoreException.Permanent.Reason.INVALID_RANGE,
                    "GET " + describe(key) + ": range " + range.toHttpHeader() + " starts at or after the end of the "
                            + size + "-byte object", 416, "InvalidRange", null, null);
        }
        int end = (int) Math.min(size, range.offset() + range.length());
        byte[] slice = Arrays.copyOfRange(stored.bytes(), (int) range.offset(), end);
        stats.bytes(StoreOperation.GET, slice.length);
        return new ObjectData(slice, stored.etag(), size);
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        checkOpen();
        ObjectKeys.requireValid(key);
        stats.request(StoreOperation.HEAD);
        return Optional.ofNullable(objects.get(key)).map(stored -> stored.info(key));
    }

    @Override
    public ListPage list(String prefix, String continuationToken, int maxKeys) {
        checkOpen();
        ObjectKeys.requireValidPrefix(prefix);
        ObjectKeys.requireValidPageSize(maxKeys);
        stats.request(StoreOperation.LIST);
        String after = continuationToken == null ? null : decodeToken(continuationToken);
        var page = new ArrayList<ObjectInfo>(Math.min(maxKeys, 64));
        var tail = after == null ? objects.tailMap(prefix, true) : objects.tailMap(after, false);
        String lastKey = null;
        boolean more = false;
        for (Map.Entry<String, StoredObject> entry : tail.entrySet()) {
            if (!entry.getKey().startsWith(prefix)) {
                break; // keys sharing a prefix are contiguous in this order
            }
            if (page.size() == maxKeys) {
                more = true;
                break;
            }
            page.add(entry.getValue().info(entry.getKey()));
            lastKey = entry.getKey();
        }
        shuffleIfConfigured(page);
        return new ListPage(page, more ? encodeToken(lastKey) : null);
    }

    @Override
    public void delete(String key) {
        checkOpen();
        ObjectKeys.requireValid(key);
        stats.request(StoreOperation.DELETE);
        objects.remove(key);
    }

    @Override
    public BatchDeleteResult deleteAll(Collection<String> keys) {
        checkOpen();
        var unique = new ArrayList<>(new LinkedHashSet<>(keys));
        unique.forEach(ObjectKeys::requireValid);
        for (int from = 0; from < unique.size(); from += MAX_KEYS_PER_REQUEST) {
            stats.request(StoreOperation.DELETE_BATCH);
            unique.subList(from, Math.min(unique.size(), from + MAX_KEYS_PER_REQUEST)).forEach(objects::remove);
        }
        return new BatchDeleteResult(unique, List.of());
    }

    @Override
    public String location() {
        return "memory://" + name + "/";
    }

    @Override
    public void close() {
        closed.set(true);
    }

    @Override
    public String toString() {
        return "InMemoryObjectStore[" + location() + ", " + objects.size() + " objects]";
    }

    private StoredObject lookupForGet(String key) {
        checkOpen();
        ObjectKeys.requireValid(key);
        stats.request(StoreOperation.GET);
        StoredObject stored = objects.get(key);
        if (stored == null) {
            throw new ObjectStoreException.NotFound("GET " + describe(key) + ": no such key", 404, "NoSuchKey", null, null);
        }
        return stored;
    }

    private static boolean holds(PutCondition condition, StoredObject current) {
        if (condition instanceof PutCondition.IfMatch ifMatch) {
            return current != null && current.etag().equals(ifMatch.etag());
        }
        if (condition instanceof PutCondition.IfNoneMatch) {
            return current == null;
        }
        return true;
    }

    private ObjectStoreException.PreconditionFailed preconditionFailed(String key, PutCondition condition) {
        return new ObjectStoreException.PreconditionFailed(
                "PUT " + describe(key) + ": precondition " + condition + " does not hold", 412, "PreconditionFailed",
                null, null);
    }

    private void shuffleIfConfigured(List<ObjectInfo> page) {
        if (shuffle != null) {
            synchronized (shuffle) {
                Collections.shuffle(page, shuffle);
            }
        }
    }

    private String describe(String key) {
        return location() + key;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException(location() + " is closed");
        }
    }

    private static byte[] copyRemaining(ByteBuffer body) {
        Objects.requireNonNull(body, "body");
        byte[] bytes = new byte[body.remaining()];
        body.duplicate().get(bytes);
        return bytes;
    }

    private static String etagOf(byte[] bytes) {
        try {
            return '"' + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes)) + '"';
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    private static String encodeToken(String lastKey) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastKey.getBytes(StandardCharsets.UTF_8));
    }

    private String decodeToken(String token) {
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ObjectStoreException.Permanent(ObjectStoreException.Permanent.Reason.BAD_REQUEST,
                    "LIST " + location() + ": invalid continuation token '" + token + "'", 400, "InvalidArgument",
                    null, e);
        }
    }

    private record StoredObject(byte[] bytes, String etag, Instant lastModified) {
        ObjectInfo info(String key) {
            return new ObjectInfo(key, bytes.length, etag, lastModified);
        }
    }

    /** Options of an {@link InMemoryObjectStore}. Not thread-safe. */
    public static final class Builder {
        private String name = "memory";
        private Clock clock = Clock.systemUTC();
        private Long shuffleSeed;

        private Builder() {}

        /** The name in {@link #location()} and messages. */
        public Builder name(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must be a non-blank string, got " + name);
            }
            this.name = name;
            return this;
        }

        /** The clock for last-modified times (tests inject a fixed or manual clock). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Return the entries within each list page in a random order drawn from this seed. */
        public Builder shuffleListings(long seed) {
            this.shuffleSeed = seed;
            return this;
        }

        public InMemoryObjectStore build() {
            return new InMemoryObjectStore(this);
        }
    }
}
