package org.pacsfs.core.store;

import java.util.Optional;

/**
 * Why an {@link ObjectStore} operation failed. The four subclasses are all there is, so callers can
 * decide exhaustively: {@link NotFound} and {@link PreconditionFailed} are answers, {@link Transient}
 * means "the same request may succeed later" (pacsfs retries it with backoff), {@link Permanent}
 * means "retrying will not help" (wrong credentials, no such bucket, a bad request).
 *
 * <p>Unchecked on purpose: every caller of the store handles failures at one level (the flusher's
 * retry loop, the read path's errno mapping), and a checked exception would have to be wrapped to
 * pass through the lambdas and streams in between ({@link ObjectStore#listAll} included).
 *
 * <p>Each exception keeps what the server said, for logs: the HTTP status ({@code 0} when no HTTP
 * response was received), the S3 error code and the request id (when the server sent them). The
 * message names the operation, the endpoint, the bucket and the key.
 */
public abstract sealed class ObjectStoreException extends RuntimeException
        permits ObjectStoreException.NotFound,
                ObjectStoreException.PreconditionFailed,
                ObjectStoreException.Transient,
                ObjectStoreException.Permanent {

    private final int httpStatus;
    private final String errorCode;
    private final String requestId;

    ObjectStoreException(String message, int httpStatus, String errorCode, String requestId, Throwable cause) {
        super(withDetails(message, httpStatus, errorCode, requestId), cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.requestId = requestId;
    }

    /** The HTTP status of the response, or {@code 0} if none was received (connect failure, timeout, injected outage). */
    public int httpStatus() {
        return httpStatus;
    }

    /** The S3 error code (e.g. {@code NoSuchKey}, {@code SlowDown}), if the server sent one. */
    public Optional<String> errorCode() {
        return Optional.ofNullable(errorCode);
    }

    /** The server's request id, to quote when asking the provider about a failure. */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }

    private static String withDetails(String message, int status, String code, String requestId) {
        var sb = new StringBuilder(message);
        if (status != 0 || code != null || requestId != null) {
            sb.append(" [");
            sb.append(status == 0 ? "no HTTP response" : "HTTP " + status);
            if (code != null) {
                sb.append(", code ").append(code);
            }
            if (requestId != null) {
                sb.append(", request id ").append(requestId);
            }
            sb.append(']');
        }
        return sb.toString();
    }

    /** There is no object under the key (HTTP 404 {@code NoSuchKey}). */
    public static final class NotFound extends ObjectStoreException {
        public NotFound(String message, int httpStatus, String errorCode, String requestId, Throwable cause) {
            super(message, httpStatus, errorCode, requestId, cause);
        }
    }

    /** A conditional put lost: the key exists (If-None-Match) or has another ETag or none (If-Match). HTTP 412. */
    public static final class PreconditionFailed extends ObjectStoreException {
        public PreconditionFailed(String message, int httpStatus, String errorCode, String requestId, Throwable cause) {
            super(message, httpStatus, errorCode, requestId, cause);
        }
    }

    /**
     * The request may succeed if repeated later: throttling (503 SlowDown, 429), server errors
     * (500, 502, 503, 504), a conflicting concurrent conditional write (409), timeouts, refused
     * or reset connections, unresolvable hosts. A put that failed this way may or may not have
     * been applied.
     */
    public static final class Transient extends ObjectStoreException {
        public Transient(String message, int httpStatus, String errorCode, String requestId, Throwable cause) {
            super(message, httpStatus, errorCode, requestId, cause);
        }
    }

    /** Repeating the request will not help until someone changes the configuration or the server. */
    public static final class Permanent extends ObjectStoreException {
        private final Reason reason;

        public Permanent(Reason reason, String message, int httpStatus, String errorCode, String requestId,
                Throwable cause) {
            super(message, httpStatus, errorCode, requestId, cause);
            this.reason = reason;
        }

        /** What kind of permanent failure this is, so that the CLI can give specific advice. */
        public Reason reason() {
            return reason;
        }

        /** Kinds of permanent failure. */
        public enum Reason {
            /** The server does not accept the credentials: unknown access key, wrong secret, expired token. */
            AUTHENTICATION,
            /** The credentials are valid but not allowed to do this (bucket policy, IAM). */
            ACCESS_DENIED,
            /** The bucket does not exist. */
            NO_SUCH_BUCKET,
            /** A range get started at or after the end of the object (HTTP 416). */
            INVALID_RANGE,
            /** The server rejected the request as malformed (HTTP 400 and the like). */
            BAD_REQUEST,
            /** The client could not even send the request: no credentials found, invalid settings. */
            CONFIGURATION,
            /**
             * The server does not implement what was asked (HTTP 501, e.g. a header such as Object Lock retention or a
             * conditional write it lacks; 505): a property of the server, so retrying cannot help.
             */
            UNSUPPORTED,
            /** Anything else that will not heal by retrying. */
            OTHER
        }
    }
}
