package org.pacsfs.core.store.s3;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;

/** Builds the SDK client an {@link S3Config} describes. */
public final class S3ClientFactory {

    private S3ClientFactory() {}

    /**
     * A sync S3 client with the configured endpoint, credentials, checksums, HTTP client and
     * timeouts, and <b>no SDK retries</b>: pacsfs's own retry policy (backoff, unbounded for
     * transient errors while the bytes are safe in the WAL) must be the only one, or a request
     * would silently take up to three times its timeout. The caller closes the client, which also
     * closes the HTTP client.
     */
    public static S3Client create(S3Config config) {
        return create(config, httpClient(config));
    }

    /**
     * Like {@link #create(S3Config)} with another HTTP client (which the S3 client then owns), for
     * measuring clients that pacsfs does not ship, such as CRT.
     */
    public static S3Client create(S3Config config, SdkHttpClient httpClient) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyle())
                .credentialsProvider(credentialsProvider(config.credentials()))
                .requestChecksumCalculation(config.checksums() == ChecksumPolicy.WHEN_REQUIRED
                        ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED)
                .responseChecksumValidation(config.checksums() == ChecksumPolicy.WHEN_REQUIRED
                        ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED)
                .httpClient(httpClient)
                // No "Expect: 100-continue": it costs a round trip per PUT to save the upload of a body the
                // server rejects, and pacsfs's rejected puts (lost If-None-Match/If-Match races) are rare.
                .serviceConfiguration(S3Configuration.builder().expectContinueEnabled(false).build())
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(config.requestTimeout())
                        .apiCallAttemptTimeout(config.requestTimeout()));
        config.endpointOverride().ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /** The HTTP client of {@code config}, with its timeouts and pool size. */
    public static SdkHttpClient httpClient(S3Config config) {
        return switch (config.httpClient()) {
            case URL_CONNECTION -> UrlConnectionHttpClient.builder()
                    .connectionTimeout(config.connectTimeout())
                    .socketTimeout(config.requestTimeout())
                    .build();
            case APACHE5 -> Apache5HttpClient.builder()
                    .maxConnections(config.maxConnections())
                    .connectionTimeout(config.connectTimeout())
                    .socketTimeout(config.requestTimeout())
                    .connectionAcquisitionTimeout(config.requestTimeout())
                    .build();
        };
    }

    private static AwsCredentialsProvider credentialsProvider(S3Credentials credentials) {
        if (credentials instanceof S3Credentials.Static keys) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(keys.accessKeyId(), keys.secretAccessKey()));
        }
        return DefaultCredentialsProvider.builder().build();
    }
}
