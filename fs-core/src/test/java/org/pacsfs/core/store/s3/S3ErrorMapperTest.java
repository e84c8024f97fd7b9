package org.pacsfs.core.store.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.ObjectStoreException.Permanent.Reason;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ErrorMapperTest {

    private final S3Config config = S3Config.builder().endpoint("http://minio.local:9000").bucket("archive")
            .prefix("fs1/").credentials(S3Credentials.of("AKIAX", "secret-value"))
            .requestTimeout(Duration.ofSeconds(7)).build();
    private final S3ErrorMapper mapper = new S3ErrorMapper(config);

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
        "404, NoSuchKey,                  NotFound",
        "404, ,                           NotFound",
        "412, PreconditionFailed,         PreconditionFailed",
        "503, SlowDown,                   Transient",
        "500, InternalError,              Transient",
        "502, ,                           Transient",
        "501, NotImplemented,             UNSUPPORTED",
        "505, ,                           UNSUPPORTED",
        "429, TooManyRequests,            Transient",
        "409, ConditionalRequestConflict, Transient",
        "400, RequestTimeout,             Transient",
        "404, NoSuchBucket,               NO_SUCH_BUCKET",
        "403, InvalidAccessKeyId,         AUTHENTICATION",
        "403, SignatureDoesNotMatch,      AUTHENTICATION",
        "400, ExpiredToken,               AUTHENTICATION",
        "403, AccessDenied,               ACCESS_DENIED",
        "403, ,                           ACCESS_DENIED",
        "416, InvalidRange,               INVALID_RANGE",
        "400, InvalidArgument,            BAD_REQUEST",
        "301, PermanentRedirect,          OTHER",
    })
    void mapsResponses(int status, String code, String expected) {
        ObjectStoreException e = mapper.map("PUT", "log/0001", s3Exception(status, code));

        String kind = e instanceof ObjectStoreException.Permanent p ? p.reason().name() : e.getClass().getSimpleName();
        assertThat(kind).isEqualTo(expected);
        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.errorCode()).isEqualTo(java.util.Optional.ofNullable(code));
        assertThat(e.requestId()).contains("req-1");
        assertThat(e.getMessage()).contains("PUT", "s3://archive/fs1/log/0001", "http://minio.local:9000", "req-1")
                .doesNotContain("secret-value");
    }

    @Test
    void refusedConnectionIsTransientAndNamesTheEndpoint() {
        var failure = SdkClientException.builder().message("Unable to execute HTTP request")
                .cause(new ConnectException("Connection refused")).build();

        ObjectStoreException e = mapper.map("GET", "chunks/ab/1", failure);

        assertThat(e).isInstanceOf(ObjectStoreException.Transient.class);
        assertThat(e.httpStatus()).isZero();
        assertThat(e.getMessage()).contains("cannot connect", "Connection refused", "http://minio.local:9000",
                "s3://archive/fs1/chunks/ab/1");
    }

    @Test
    void requestTimeoutIsTransientAndNamesTheTimeout() {
        ObjectStoreException e = mapper.map("GET", "k", ApiCallTimeoutException.create(7000));

        assertThat(e).isInstanceOf(ObjectStoreException.Transient.class);
        assertThat(e.getMessage()).contains("PT7S", "http://minio.local:9000");
    }

    @Test
    void aResponseBodyCutOffMidXmlIsTransient() {
        // What the SDK reports when a LIST response is truncated on the way (seen through S3FaultsIT's proxy).
        var failure = SdkClientException.builder().message("Could not parse XML response.")
                .cause(new javax.xml.stream.XMLStreamException("ParseError at [row,col]:[1,80]")).build();

        ObjectStoreException e = mapper.map("LIST", "checkpoints/", failure);

        assertThat(e).isInstanceOf(ObjectStoreException.Transient.class);
        assertThat(e.getMessage()).contains("the response could not be read");
    }

    @Test
    void aConnectionResetInsideAResponseBodyIsTransient() {
        // The SDK's XML unmarshaller throws this (not an SdkException) when the connection drops mid-body.
        var failure = new java.io.UncheckedIOException(new java.net.SocketException("Connection reset"));

        ObjectStoreException e = mapper.map("LIST", "log/", failure);

        assertThat(e).isInstanceOf(ObjectStoreException.Transient.class);
        assertThat(e.getMessage()).contains("I/O error", "Connection reset", "s3://archive/fs1/log/");
    }

    @Test
    void aClientFailureWithoutIoCauseIsAConfigurationProblem() {
        var failure = SdkClientException.create("Unable to load credentials from any of the providers in the chain");

        ObjectStoreException e = mapper.map("LIST", "", failure);

        assertThat(e).isInstanceOfSatisfying(ObjectStoreException.Permanent.class,
                p -> assertThat(p.reason()).isEqualTo(Reason.CONFIGURATION));
        assertThat(e.getMessage()).contains("Unable to load credentials");
    }

    private static S3Exception s3Exception(int status, String code) {
        return (S3Exception) S3Exception.builder()
                .statusCode(status)
                .requestId("req-1")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("server says no").build())
                .message("server says no")
                .build();
    }
}
