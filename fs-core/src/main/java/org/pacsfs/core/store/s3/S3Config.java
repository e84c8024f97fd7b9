package org.pacsfs.core.store.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How to reach a bucket: an immutable, validated record. Bad values are rejected with a message
 * that names the setting and the accepted range, never corrected silently. {@link #toString()}
 * redacts the secret.
 *
 * @param endpoint the S3 endpoint, e.g. {@code https://s3.hospital.example}; {@code null} for AWS S3 in
 *     {@code region}
 * @param region the signing region (S3-compatible servers mostly accept any; default {@code us-east-1})
 * @param bucket the bucket name (3..63 characters of lower-case letters, digits, dots and hyphens)
 * @param prefix the key prefix under which the store lives: {@code ""} or a string ending in {@code /}
 *     that does not start with {@code /} (default {@code ""})
 * @param pathStyle address the bucket as {@code endpoint/bucket} rather than {@code bucket.endpoint};
 *     S3-compatible servers usually need {@code true} (default {@code false})
 * @param credentials where the credentials come from (default: the SDK's default chain)
 * @param checksums when the SDK sends and validates checksums (default {@link ChecksumPolicy#WHEN_SUPPORTED})
 * @param httpClient the HTTP client (default {@link HttpClientKind#APACHE5}, see docs/OBJECT-STORE.md)
 * @param maxConnections the connection pool size, set to the number of parallel requests pacsfs
 *     makes (1..1024, default 16)
 * @param connectTimeout how long to wait for a TCP connection (100 ms..5 min, default 5 s)
 * @param requestTimeout how long one request may take in total, including the transfer of a 4 MiB
 *     body (100 ms..1 h, default 60 s)
 * @param sse server-side encryption requested on every PUT (default {@link ServerSideEncryption#NONE})
 */
public record S3Config(
        URI endpoint,
        String region,
        String bucket,
        String prefix,
        boolean pathStyle,
        S3Credentials credentials,
        ChecksumPolicy checksums,
        HttpClientKind httpClient,
        int maxConnections,
        Duration connectTimeout,
        Duration requestTimeout,
        ServerSideEncryption sse) {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z0-9-]+");
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);

    public S3Config {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(checksums, "checksums");
        Objects.requireNonNull(httpClient, "httpClient");
        ServerSideEncryption.requireNonNull(sse);
        requireEndpoint(endpoint);
        require(region != null && REGION.matcher(region).matches(),
                "region must be lower-case letters, digits and hyphens (e.g. us-east-1), got " + region);
        require(bucket != null && BUCKET.matcher(bucket).matches(),
                "bucket must be 3..63 lower-case letters, digits, dots and hyphens, starting and ending with a letter"
                        + " or digit, got " + bucket);
        require(prefix != null && (prefix.isEmpty() || (prefix.endsWith("/") && !prefix.startsWith("/"))),
                "prefix must be empty or end with '/' and not start with '/', got " + prefix);
        require(maxConnections >= 1 && maxConnections <= 1024, "maxConnections must be in 1..1024, got " + maxConnections);
        requireTimeout("connectTimeout", connectTimeout, Duration.ofMinutes(5));
        requireTimeout("requestTimeout", requestTimeout, Duration.ofHours(1));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this record's values, to derive a variant. */
    public Builder toBuilder() {
        return new Builder()
                .endpoint(endpoint)
                .region(region)
                .bucket(bucket)
                .prefix(prefix)
                .pathStyle(pathStyle)
                .credentials(credentials)
                .checksums(checksums)
                .httpClient(httpClient)
                .maxConnections(maxConnections)
                .connectTimeout(connectTimeout)
                .requestTimeout(requestTimeout)
                .sse(sse);
    }

    /** The endpoint override, if any. */
    public Optional<URI> endpointOverride() {
        return Optional.ofNullable(endpoint);
    }

    /** The endpoint requests go to, for messages: the override, or AWS's regional endpoint. */
    public String describeEndpoint() {
        return endpoint != null ? endpoint.toString() : "https://s3." + region + ".amazonaws.com";
    }

    /** {@code s3://bucket/prefix} for messages. */
    public String describeBucket() {
        return "s3://" + bucket + "/" + prefix;
    }

    @Override
    public String toString() {
        // Spelled out so that a future field cannot leak a secret through the generated toString.
        return "S3Config[endpoint=" + describeEndpoint() + ", region=" + region + ", bucket=" + bucket
                + ", prefix=" + prefix + ", pathStyle=" + pathStyle + ", credentials=" + credentials
                + ", checksums=" + checksums + ", httpClient=" + httpClient + ", maxConnections=" + maxConnections
                + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout + "]";
    }

    private static void requireEndpoint(URI endpoint) {
        if (endpoint == null) {
            return;
        }
        String scheme = endpoint.getScheme();
        require(("http".equals(scheme) || "https".equals(scheme)) && endpoint.getHost() != null,
                "endpoint must be an http:// or https:// URI with a host, got " + endpoint);
        require(endpoint.getRawPath() == null || endpoint.getRawPath().isEmpty() || "/".equals(endpoint.getRawPath()),
                "endpoint must not have a path (put the bucket in 'bucket' and the key prefix in 'prefix'), got "
                        + endpoint);
        require(endpoint.getUserInfo() == null, "endpoint must not contain credentials, got a URI with user info");
    }

    private static void requireTimeout(String name, Duration value, Duration max) {
        Objects.requireNonNull(value, name);
        require(value.compareTo(MIN_TIMEOUT) >= 0 && value.compareTo(max) <= 0,
                name + " must be in " + MIN_TIMEOUT.toMillis() + " ms.." + max + ", got " + value);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** A mutable builder with the documented defaults; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private URI endpoint;
        private String region = "us-east-1";
        private String bucket;
        private String prefix = "";
        private boolean pathStyle;
        private S3Credentials credentials = S3Credentials.defaultChain();
        private ChecksumPolicy checksums = ChecksumPolicy.WHEN_SUPPORTED;
        private HttpClientKind httpClient = HttpClientKind.APACHE5;
        private int maxConnections = 16;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private ServerSideEncryption sse = ServerSideEncryption.NONE;

        private Builder() {}

        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Builder endpoint(String endpoint) {
            return endpoint(endpoint == null ? null : URI.create(endpoint));
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder bucket(String bucket) {
            this.bucket = bucket;
            return this;
        }

        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        public Builder pathStyle(boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        public Builder credentials(S3Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        public Builder checksums(ChecksumPolicy checksums) {
            this.checksums = checksums;
            return this;
        }

        public Builder httpClient(HttpClientKind httpClient) {
            this.httpClient = httpClient;
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public Builder sse(ServerSideEncryption sse) {
            this.sse = sse;
            return this;
        }

        public S3Config build() {
            return new S3Config(endpoint, region, bucket, prefix, pathStyle, credentials, checksums, httpClient,
                    maxConnections, connectTimeout, requestTimeout, sse);
        }
    }
}
