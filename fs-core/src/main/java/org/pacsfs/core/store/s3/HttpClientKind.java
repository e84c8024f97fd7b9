package org.pacsfs.core.store.s3;

/**
 * The HTTP client under the SDK. Measured against S3Proxy in {@code docs/OBJECT-STORE.md}.
 */
public enum HttpClientKind {
    /**
     * The JDK's {@code HttpURLConnection} (SDK {@code url-connection-client}): the fastest here and no
     * extra dependencies. Its pool of idle keep-alive connections is JVM-wide and sized by the system
     * property {@code http.maxConnections} (default 5 per destination), not by {@link
     * S3Config#maxConnections()}; connections beyond that are opened per request and closed after.
     */
    URL_CONNECTION,
    /** Apache HttpClient 5 (SDK {@code apache5-client}), the SDK's default, with a pool of {@link S3Config#maxConnections()}. */
    APACHE5
}
