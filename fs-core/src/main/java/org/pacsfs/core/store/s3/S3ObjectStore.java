package org.pacsfs.core.store.s3;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.pacsfs.core.store.BatchDeleteResult;
import org.pacsfs.core.store.ByteRange;
import org.pacsfs.core.store.ListPage;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectKeys;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.RetryableException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on an S3 bucket (AWS S3 or any S3-compatible server), through the AWS SDK v2
 * sync client built by {@link S3ClientFactory}. One request per call (batch deletes: one per 1,000
 * keys), no retries: failures are mapped by {@link S3ErrorMapper} and left to the caller's policy.
 *
 * <p>Thread-safe: the SDK client is, and this class has no other mutable state than its closed flag.
 */
public final class S3ObjectStore implements ObjectStore {

    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);

    private final S3Config config;
    private final S3Client s3;
    private final S3KeyMapper keys;
    private final S3ErrorMapper errors;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Object Lock retention of the objects this store writes (null: none); see {@link #withObjectLock}. */
    private final ObjectLockRetention lock;
    /** False for a view made by {@link #withObjectLock}: the client belongs to the store it was made from. */
    private final boolean ownsClient;

    private S3ObjectStore(S3Config config, S3Client s3) {
        this(config, s3, null, true);
    }

    private S3ObjectStore(S3Config config, S3Client s3, ObjectLockRetention lock, boolean ownsClient) {
        this.config = config;
        this.s3 = s3;
        this.keys = new S3KeyMapper(config.prefix());
        this.errors = new S3ErrorMapper(config);
        this.lock = lock;
        this.ownsClient = ownsClient;
    }

    /**
     * A view of this store, on the same client, whose PUTs of the keys {@code lock} names carry S3 Object Lock headers
     * (mode and retain-until date) and a checksum header (S3 wants Content-MD5 or an x-amz-checksum with them). Only for
     * a bucket with Object Lock enabled ({@link #objectLock()}). Closing the view does not close this store's client.
     */
    public S3ObjectStore withObjectLock(ObjectLockRetention lock) {
        return new S3ObjectStore(config, s3, Objects.requireNonNull(lock, "lock"), false);
    }

    /** A store for {@code config}. Makes no request: a wrong endpoint or credentials show on the first call. */
    public static S3ObjectStore open(S3Config config) {
        Objects.requireNonNull(config, "config");
        LOG.debug("opening {}", config);
        return new S3ObjectStore(config, S3ClientFactory.create(config));
    }

    public S3Config config() {
        return config;
    }

    /**
     * Asks the server whether the bucket has Object Lock (GetObjectLockConfiguration). Servers without the feature
     * answer with an error (S3Proxy: not implemented; AWS: ObjectLockConfigurationNotFoundError), reported as not
     * enabled with the server's answer in {@link ObjectLockStatus#detail()}.
     */
    public ObjectLockStatus objectLock() {
        try {
            var c = s3.getObjectLockConfiguration(b -> b.bucket(config.bucket())).objectLockConfiguration();
            boolean on = c != null && c.objectLockEnabled() == software.amazon.awssdk.services.s3.model.ObjectLockEnabled.ENABLED;
            String rule = c == null || c.rule() == null || c.rule().defaultRetention() == null ? "no default retention"
                    : "default retention " + c.rule().defaultRetention();
            return new ObjectLockStatus(on, on ? "Object Lock is enabled on bucket " + config.bucket() + " (" + rule + ")"
                    : "bucket " + config.bucket() + " has an Object Lock configuration that is not enabled");
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            String code = e.awsErrorDetails() == null ? "" : " " + e.awsErrorDetails().errorCode();
            return new ObjectLockStatus(false, "the server answered GetObjectLockConfiguration for bucket " + config.bucket()
                    + " with HTTP " + e.statusCode() + code);
        } catch (SdkException e) {
            return new ObjectLockStatus(false, "the Object Lock configuration of bucket " + config.bucket() + " could not be read: "
                    + e.getMessage());
        }
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition) {
        return put(key, body, condition, java.util.OptionalInt.empty());
    }

    @Override
    public String put(String key, ByteBuffer body, PutCondition condition, int crc32c) {
        return put(key, body, condition, java.util.OptionalInt.of(crc32c));
    }

    private String put(String key, ByteBuffer body, PutCondition condition, java.util.OptionalInt knownCrc32c) {
        Objects.requireNonNull(body, "body");
        var request = PutObjectRequest.builder().bucket(config.bucket()).key(keys.toBucketKey(key));
        if (config.sse() instanceof ServerSideEncryption.S3Managed) {
            request.serverSideEncryption(software.amazon.awssdk.services.s3.model.ServerSideEncryption.AES256);
        } else if (config.sse() instanceof ServerSideEncryption.Kms kms) {
            request.serverSideEncryption(software.amazon.awssdk.services.s3.model.ServerSideEncryption.AWS_KMS);
            if (kms.keyId() != null) {
                request.ssekmsKeyId(kms.keyId());
            }
        }
        if (condition instanceof PutCondition.IfNoneMatch) {
            request.ifNoneMatch("*");
        } else if (condition instanceof PutCondition.IfMatch ifMatch) {
            request.ifMatch(ifMatch.etag());
        } else {
            Objects.requireNonNull(condition, "condition");
        }
        java.time.Instant retainUntil = lock == null ? null : lock.retainUntil(key);
        if (retainUntil != null) {
            request.objectLockMode(lock.mode() == ObjectLockRetention.Mode.COMPLIANCE
                    ? software.amazon.awssdk.services.s3.model.ObjectLockMode.COMPLIANCE
                    : software.amazon.awssdk.services.s3.model.ObjectLockMode.GOVERNANCE);
            request.objectLockRetainUntilDate(retainUntil);
        }
        if (config.checksums() == ChecksumPolicy.WHEN_SUPPORTED || retainUntil != null) {
            // Our CRC32C (the JDK's, hardware-assisted, ~0.1 CPU s/GB) in the header: the SDK then computes no checksum
            // of its own and sends no checksum trailer, and the server still verifies the body.
            request.checksumCRC32C(knownCrc32c.isPresent() ? crc32c(knownCrc32c.getAsInt()) : crc32c(body));
        }
        // Streamed from the caller's buffer: fromRemainingByteBuffer would copy every body (4 MiB per chunk) first.
        ByteBuffer view = body.duplicate();
        RequestBody requestBody = RequestBody.fromContentProvider(() -> new ByteBufferInputStream(view.duplicate()),
                view.remaining(), "application/octet-stream");
        try {
            return call("PUT", key, () -> s3.putObject(request.build(), requestBody)).eTag();
        } catch (ObjectStoreException.NotFound e) {
            // S3 answers If-Match on an absent key with 404; to the caller the condition simply failed.
            throw new ObjectStoreException.PreconditionFailed(e.getMessage(), e.httpStatus(),
                    e.errorCode().orElse(null), e.requestId().orElse(null), e);
        }
    }

    @Override
    public ObjectData get(String key) {
        return get(key, GetObjectRequest.builder());
    }

    @Override
    public ObjectData get(String key, ByteRange range) {
        Objects.requireNonNull(range, "range");
        return get(key, GetObjectRequest.builder().range(range.toHttpHeader()));
    }

    private ObjectData get(String key, GetObjectRequest.Builder request) {
        request.bucket(config.bucket()).key(keys.toBucketKey(key));
        ResponseBytes<GetObjectResponse> response = call("GET", key, () -> s3.getObject(request.build(), S3ObjectStore::bodyBytes));
        byte[] bytes = response.asByteArrayUnsafe();
        return new ObjectData(bytes, response.response().eTag(), objectSize(response.response(), bytes.length));
    }

    /**
     * The body in one array of the announced length, read in large pieces. The SDK's {@code toBytes()} grows a
     * ByteArrayOutputStream 4 KiB at a time: for a 4 MiB chunk about ten copies and as many discarded arrays, the top of
     * the cold-read profile (docs/BENCHMARKS.md). A body that ends early or runs on is an I/O error, retried like
     * {@code toBytes()}'s.
     */
    private static ResponseBytes<GetObjectResponse> bodyBytes(GetObjectResponse response, java.io.InputStream in) {
        try {
            Long length = response.contentLength();
            if (length == null || length < 0 || length > Integer.MAX_VALUE - 8) {
                return ResponseBytes.fromByteArrayUnsafe(response, in.readAllBytes());
            }
            byte[] b = new byte[(int) (long) length];
            int n = in.readNBytes(b, 0, b.length);
            if (n != b.length || in.read() != -1) {
                throw new java.io.IOException("the response body has " + (n != b.length ? n : "more than " + n)
                        + " bytes, Content-Length said " + length);
            }
            return ResponseBytes.fromByteArrayUnsafe(response, b);
        } catch (java.io.IOException e) {
            throw RetryableException.builder().message("reading the response body failed: " + e.getMessage()).cause(e).build();
        }
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        String bucketKey = keys.toBucketKey(key);
        try {
            HeadObjectResponse head = call("HEAD", key, () -> s3.headObject(b -> b.bucket(config.bucket()).key(bucketKey)));
            return Optional.of(new ObjectInfo(key, head.contentLength(), head.eTag(), head.lastModified()));
        } catch (ObjectStoreException.NotFound e) {
            return Optional.empty();
        }
    }

    @Override
    public ListPage list(String prefix, String continuationToken, int maxKeys) {
        ObjectKeys.requireValidPageSize(maxKeys);
        String bucketPrefix = keys.toBucketPrefix(prefix);
        ListObjectsV2Response response = call("LIST", prefix, () -> s3.listObjectsV2(b -> b
                .bucket(config.bucket()).prefix(bucketPrefix).continuationToken(continuationToken).maxKeys(maxKeys)));
        var objects = new ArrayList<ObjectInfo>(response.contents().size());
        for (S3Object o : response.contents()) {
            objects.add(new ObjectInfo(keys.toStoreKey(o.key()), o.size(), o.eTag(), o.lastModified()));
        }
        boolean more = Boolean.TRUE.equals(response.isTruncated());
        return new ListPage(objects, more ? response.nextContinuationToken() : null);
    }

    @Override
    public void delete(String key) {
        String bucketKey = keys.toBucketKey(key);
        call("DELETE", key, () -> s3.deleteObject(b -> b.bucket(config.bucket()).key(bucketKey)));
    }

    @Override
    public BatchDeleteResult deleteAll(Collection<String> storeKeys) {
        var unique = new ArrayList<>(new LinkedHashSet<>(storeKeys));
        var deleted = new ArrayList<String>(unique.size());
        var failures = new ArrayList<BatchDeleteResult.Failure>();
        for (int from = 0; from < unique.size(); from += MAX_KEYS_PER_REQUEST) {
            deleteBatch(unique.subList(from, Math.min(unique.size(), from + MAX_KEYS_PER_REQUEST)), deleted, failures);
        }
        return new BatchDeleteResult(deleted, failures);
    }

    private void deleteBatch(List<String> batch, List<String> deleted, List<BatchDeleteResult.Failure> failures) {
        Map<String, String> storeKeyOf = new HashMap<>();
        var identifiers = new ArrayList<ObjectIdentifier>(batch.size());
        for (String key : batch) {
            String bucketKey = keys.toBucketKey(key);
            storeKeyOf.put(bucketKey, key);
            identifiers.add(ObjectIdentifier.builder().key(bucketKey).build());
        }
        // Quiet mode: the server lists only the failures, which keeps 1,000-key responses small.
        Delete delete = Delete.builder().objects(identifiers).quiet(true).build();
        DeleteObjectsResponse response = call("DELETE", batch.size() + " keys from '" + batch.get(0) + "'",
                () -> s3.deleteObjects(b -> b.bucket(config.bucket()).delete(delete)));
        var failed = new LinkedHashSet<String>();
        for (S3Error error : response.errors()) {
            String key = storeKeyOf.getOrDefault(error.key(), error.key());
            failed.add(key);
            failures.add(new BatchDeleteResult.Failure(key, error.code(), error.message()));
        }
        batch.stream().filter(k -> !failed.contains(k)).forEach(deleted::add);
    }

    @Override
    public String location() {
        return config.describeBucket() + " at " + config.describeEndpoint();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsClient) {
            s3.close();
        }
    }

    @Override
    public String toString() {
        return "S3ObjectStore[" + location() + "]";
    }

    private <T> T call(String operation, String target, Supplier<T> request) {
        if (closed.get()) {
            throw new IllegalStateException(location() + " is closed");
        }
        try {
            return request.get();
        } catch (SdkException e) {
            ObjectStoreException mapped = errors.map(operation, target, e);
            LOG.debug("{}", mapped.getMessage());
            return rethrow(mapped);
        } catch (java.io.UncheckedIOException e) { // a connection reset inside an XML response body (see the mapper)
            ObjectStoreException mapped = errors.map(operation, target, e);
            LOG.debug("{}", mapped.getMessage());
            return rethrow(mapped);
        }
    }

    /** The base64 of the big-endian CRC32C, as {@code x-amz-checksum-crc32c} wants it. */
    static String crc32c(ByteBuffer body) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body.duplicate());
        return crc32c((int) crc.getValue());
    }

    /** The base64 of a CRC32C value, big-endian. */
    static String crc32c(int value) {
        return java.util.Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt(value).array());
    }

    /** Reads a buffer from its position to its limit; each call of the content provider gets its own view. */
    private static final class ByteBufferInputStream extends java.io.InputStream {
        private final ByteBuffer buf;

        ByteBufferInputStream(ByteBuffer buf) {
            this.buf = buf;
        }

        @Override
        public int read() {
            return buf.hasRemaining() ? buf.get() & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (!buf.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buf.remaining());
            buf.get(b, off, n);
            return n;
        }

        @Override
        public int available() {
            return buf.remaining();
        }
    }

    private static <T> T rethrow(ObjectStoreException e) {
        throw e;
    }

    private static long objectSize(GetObjectResponse response, int received) {
        String contentRange = response.contentRange(); // "bytes 0-9/100" on a range get
        if (contentRange != null) {
            int slash = contentRange.lastIndexOf('/');
            if (slash >= 0 && !contentRange.endsWith("*")) {
                return Long.parseLong(contentRange.substring(slash + 1).trim());
            }
        }
        return received;
    }
}
