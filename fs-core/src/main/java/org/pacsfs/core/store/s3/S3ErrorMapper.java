package org.pacsfs.core.store.s3;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.ObjectStoreException.Permanent.Reason;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The one place where AWS SDK exceptions become {@link ObjectStoreException}s. Every message names
 * the operation, the endpoint, the bucket and the key, so that a log line alone says what failed
 * where. Immutable, thread-safe.
 */
public final class S3ErrorMapper {

    /** Codes with which S3 and S3-compatible servers reject the credentials themselves (not their permissions). */
    private static final Set<String> AUTHENTICATION_CODES = Set.of(
            "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
            "InvalidSecurity", "MissingSecurityHeader", "RequestTimeTooSkewed", "AuthFailure");

    /** Codes of S3's retryable 4xx responses. */
    private static final Set<String> TRANSIENT_CODES = Set.of(
            "RequestTimeout", "ConditionalRequestConflict", "OperationAborted", "SlowDown", "Throttling",
            "ThrottlingException", "RequestLimitExceeded", "TooManyRequests");

    private final S3Config config;

    public S3ErrorMapper(S3Config config) {
        this.config = config;
    }

    /**
     * Translates a failed request.
     *
     * @param operation the S3 operation, e.g. {@code PUT}
     * @param target the store key or listing prefix the request was about ({@code ""} for none)
     */
    public ObjectStoreException map(String operation, String target, SdkException e) {
        String where = operation + " " + config.describeBucket() + target + " at " + config.describeEndpoint();
        if (e instanceof AwsServiceException service) {
            return fromResponse(where, service);
        }
        return fromClientFailure(where, e);
    }

    private ObjectStoreException fromResponse(String where, AwsServiceException e) {
        int status = e.statusCode();
        AwsErrorDetails details = e.awsErrorDetails();
        String code = details == null ? null : details.errorCode();
        String requestId = e.requestId();
        if ("NoSuchBucket".equals(code)) {
            return permanent(Reason.NO_SUCH_BUCKET, where + ": no such bucket '" + config.bucket() + "'", status, code,
                    requestId, e);
        }
        if (status == 404) {
            return new ObjectStoreException.NotFound(where + ": no such key", status, code, requestId, e);
        }
        if (status == 412) {
            return new ObjectStoreException.PreconditionFailed(where + ": precondition failed", status, code,
                    requestId, e);
        }
        if (code != null && AUTHENTICATION_CODES.contains(code) || status == 401) {
            return permanent(Reason.AUTHENTICATION, where + ": authentication failed, the server does not accept "
                    + config.credentials(), status, code, requestId, e);
        }
        if (status == 403) {
            return permanent(Reason.ACCESS_DENIED, where + ": access denied for " + config.credentials()
                    + " (wrong credentials or missing permission)", status, code, requestId, e);
        }
        if (status == 416) {
            return permanent(Reason.INVALID_RANGE, where + ": range not satisfiable", status, code, requestId, e);
        }
        if (status == 501 || status == 505) {
            // Not Implemented is the server saying it lacks a feature, not that it is busy: retried forever it would
            // hide a configuration problem behind a flusher that never ships.
            return permanent(Reason.UNSUPPORTED, where + ": the server does not implement this request ("
                    + firstLine(details == null ? e.getMessage() : details.errorMessage()) + ")", status, code, requestId, e);
        }
        if (status == 429 || status >= 500 || code != null && TRANSIENT_CODES.contains(code)) {
            return new ObjectStoreException.Transient(where + ": server asks to retry later ("
                    + firstLine(details == null ? null : details.errorMessage()) + ")", status, code, requestId, e);
        }
        Reason reason = status >= 400 && status < 500 ? Reason.BAD_REQUEST : Reason.OTHER;
        return permanent(reason, where + ": request rejected ("
                + firstLine(details == null ? e.getMessage() : details.errorMessage()) + ")", status, code, requestId, e);
    }

    /**
     * Translates an {@link java.io.UncheckedIOException} thrown out of a request: the SDK's XML unmarshaller lets a
     * connection reset in the middle of a response body out as one, not as an {@link SdkException} (seen in
     * S3FaultsIT: a mount failed to open on it). It is an I/O error like any other, so transient.
     */
    public ObjectStoreException map(String operation, String target, java.io.UncheckedIOException e) {
        return map(operation, target, software.amazon.awssdk.core.exception.SdkClientException.builder()
                .message(String.valueOf(e.getMessage())).cause(e.getCause()).build());
    }

    private ObjectStoreException fromClientFailure(String where, SdkException e) {
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
            return transientFailure(where + ": no complete response within the request timeout of "
                    + config.requestTimeout(), e);
        }
        Throwable cause = causeOf(e, ConnectException.class);
        if (cause != null) {
            return transientFailure(where + ": cannot connect (" + cause.getMessage() + ")", e);
        }
        cause = causeOf(e, UnknownHostException.class);
        if (cause != null) {
            return transientFailure(where + ": unknown host " + cause.getMessage(), e);
        }
        cause = causeOf(e, SocketTimeoutException.class);
        if (cause == null) {
            cause = causeOfClassNamed(e, "ConnectTimeoutException"); // Apache's, which is no SocketTimeoutException
        }
        if (cause != null) {
            return transientFailure(where + ": timed out (" + cause.getMessage() + "; connect timeout "
                    + config.connectTimeout() + ", request timeout " + config.requestTimeout() + ")", e);
        }
        cause = causeOf(e, IOException.class);
        if (cause != null) {
            return transientFailure(where + ": I/O error (" + cause + ")", e);
        }
        if (causeOfClassNamed(e, "XMLStreamException") != null || causeOfClassNamed(e, "SAXParseException") != null
                || String.valueOf(e.getMessage()).contains("Could not parse XML response")) {
            // A response body cut off or damaged on the way (a proxy or a connection dropped mid-body): retry.
            return transientFailure(where + ": the response could not be read (" + firstLine(e.getMessage()) + ")", e);
        }
        return permanent(Reason.CONFIGURATION, where + ": the request could not be made (" + firstLine(e.getMessage())
                + ")", 0, null, null, e);
    }

    private static ObjectStoreException.Transient transientFailure(String message, Throwable cause) {
        return new ObjectStoreException.Transient(message, 0, null, null, cause);
    }

    private static ObjectStoreException.Permanent permanent(Reason reason, String message, int status, String code,
            String requestId, Throwable cause) {
        return new ObjectStoreException.Permanent(reason, message, status, code, requestId, cause);
    }

    private static Throwable causeOf(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }

    private static Throwable causeOfClassNamed(Throwable e, String simpleName) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getClass().getSimpleName().equals(simpleName)) {
                return t;
            }
        }
        return null;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
