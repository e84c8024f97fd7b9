package org.pacsfs.core.store;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Everything pacsfs needs from object storage, with S3 semantics.
 *
 * <p><b>Keys</b> are relative to the store: an implementation that lives under a bucket prefix adds
 * and strips that prefix itself, so callers never see it. A key is a non-empty string of at most
 * 1024 UTF-8 bytes (prefix included), see {@link ObjectKeys}.
 *
 * <p><b>Consistency</b> is that of S3 since 2020: a successful put is visible to every later get,
 * head and list (read-after-write, list-after-write). Conditional puts are atomic compare-and-set
 * operations on the key.
 *
 * <p><b>ETags</b> are opaque strings. Compare them only for equality and only with ETags returned by
 * the same store; identical content may produce identical ETags (S3 uses the MD5 of a single-part
 * upload), so an If-Match compare-and-set cannot detect a rewrite with identical bytes.
 *
 * <p><b>Errors</b> are unchecked {@link ObjectStoreException}s: {@link ObjectStoreException.NotFound},
 * {@link ObjectStoreException.PreconditionFailed}, {@link ObjectStoreException.Transient} (retry
 * later) and {@link ObjectStoreException.Permanent} (do not retry). Implementations do not retry:
 * the caller's retry policy is the only one in charge. Programming errors (a {@code null} or invalid
 * key, a bad page size, use after {@link #close()}) are {@link IllegalArgumentException}s and {@link
 * IllegalStateException}s.
 *
 * <p><b>Thread-safety:</b> implementations are safe for concurrent use by any number of threads.
 */
public interface ObjectStore extends AutoCloseable {

    /** The most keys S3 returns in one list page and accepts in one batch delete request. */
    int MAX_KEYS_PER_REQUEST = 1000;

    /**
     * Stores {@code body} under {@code key} if {@code condition} holds, atomically.
     *
     * @param body the bytes between position and limit; the buffer's position is not changed, and
     *     the caller must not modify the bytes until this method returns
     * @return the ETag of the new object
     * @throws ObjectStoreException.PreconditionFailed if the condition does not hold (HTTP 412); an
     *     {@link PutCondition#ifMatch If-Match} on an absent key fails this way too
     */
    String put(String key, ByteBuffer body, PutCondition condition);

    /**
     * Same as {@link #put(String, ByteBuffer, PutCondition)} for a body whose CRC32C (of the bytes between position and
     * limit) the caller has computed already: a store that sends a checksum with the body (S3: {@code
     * x-amz-checksum-crc32c}, which the server checks) uses it instead of reading every byte once more. A wrong value
     * makes such a server refuse the PUT; stores that send no checksum ignore it.
     */
    default String put(String key, ByteBuffer body, PutCondition condition, int crc32c) {
        return put(key, body, condition);
    }

    /** Same as {@link #put(String, ByteBuffer, PutCondition)} for a whole array. */
    default String put(String key, byte[] body, PutCondition condition) {
        return put(key, ByteBuffer.wrap(body), condition);
    }

    /**
     * Reads a whole object.
     *
     * @throws ObjectStoreException.NotFound if there is no object under {@code key}
     */
    ObjectData get(String key);

    /**
     * Reads part of an object, as S3 does: a range that extends past the end of the object is cut
     * at the end (fewer bytes than asked for are returned), and a range that starts at or after the
     * end (including any range of an empty object) fails with {@link
     * ObjectStoreException.Permanent.Reason#INVALID_RANGE} (HTTP 416).
     *
     * @throws ObjectStoreException.NotFound if there is no object under {@code key}
     */
    ObjectData get(String key, ByteRange range);

    /** The metadata of an object, or empty if there is none under {@code key}. */
    Optional<ObjectInfo> head(String key);

    /**
     * One page of the objects whose keys start with {@code prefix}, in ascending UTF-8 byte order
     * of their keys (S3's order). Implementations may be configured to shuffle the entries within a
     * page to catch callers that rely on that order (see {@link InMemoryObjectStore}); the order of
     * pages is always ascending.
     *
     * @param prefix the key prefix, {@code ""} for all objects
     * @param continuationToken {@code null} for the first page, else {@link
     *     ListPage#nextContinuationToken()} of the previous page for the same prefix
     * @param maxKeys at most this many entries (1..{@value #MAX_KEYS_PER_REQUEST}); a page may
     *     hold fewer even when more follow
     */
    ListPage list(String prefix, String continuationToken, int maxKeys);

    /**
     * All objects under {@code prefix}, fetched lazily page by page as the stream is consumed. An
     * error while fetching a page is thrown from the stream operation that needed it.
     */
    default Stream<ObjectInfo> listAll(String prefix) {
        var iterator = new ListingIterator(this, prefix, MAX_KEYS_PER_REQUEST);
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(iterator, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    /** Deletes an object. Deleting an absent key succeeds, as in S3. */
    void delete(String key);

    /**
     * Deletes many objects, in requests of at most {@value #MAX_KEYS_PER_REQUEST} keys each.
     * Absent keys count as deleted. A failure of a single key is reported in the result; a failure
     * of a whole request (authentication, outage) is thrown, and the keys of earlier requests stay
     * deleted.
     */
    BatchDeleteResult deleteAll(Collection<String> keys);

    /** Where this store points, for messages and logs, e.g. {@code s3://bucket/prefix/ at http://host:9000}. */
    String location();

    /** Releases connections and threads. Later calls fail with {@link IllegalStateException}. Idempotent. */
    @Override
    void close();
}
