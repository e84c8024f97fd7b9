package org.pacsfs.core.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class S3ConfigTest {

    private final S3Config valid = S3Config.builder().bucket("pacs-archive").build();

    @Test
    void defaultsAreTheDocumentedOnes() {
        S3Config c = valid;

        assertThat(c.endpointOverride()).isEmpty();
        assertThat(c.region()).isEqualTo("us-east-1");
        assertThat(c.prefix()).isEmpty();
        assertThat(c.pathStyle()).isFalse();
        assertThat(c.credentials()).isEqualTo(S3Credentials.defaultChain());
        assertThat(c.checksums()).isEqualTo(ChecksumPolicy.WHEN_SUPPORTED);
        assertThat(c.httpClient()).isEqualTo(HttpClientKind.APACHE5);
        assertThat(c.maxConnections()).isEqualTo(16);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.describeEndpoint()).isEqualTo("https://s3.us-east-1.amazonaws.com");
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void badValuesAreRejectedWithAMessageNamingTheSetting() {
        assertRejected(S3Config.builder(), "bucket");
        assertRejected(valid.toBuilder().bucket("Upper_Case"), "bucket");
        assertRejected(valid.toBuilder().bucket("ab"), "bucket");
        assertRejected(valid.toBuilder().region("US East"), "region");
        assertRejected(valid.toBuilder().prefix("fs1"), "prefix");
        assertRejected(valid.toBuilder().prefix("/fs1/"), "prefix");
        assertRejected(valid.toBuilder().endpoint("ftp://host"), "endpoint");
        assertRejected(valid.toBuilder().endpoint("http://host:9000/bucket"), "endpoint");
        assertRejected(valid.toBuilder().endpoint("http://key:secret@host:9000"), "endpoint");
        assertRejected(valid.toBuilder().maxConnections(0), "maxConnections");
        assertRejected(valid.toBuilder().maxConnections(2000), "maxConnections");
        assertRejected(valid.toBuilder().connectTimeout(Duration.ofMillis(10)), "connectTimeout");
        assertRejected(valid.toBuilder().requestTimeout(Duration.ofHours(2)), "requestTimeout");
        assertThatThrownBy(() -> S3Credentials.of("id", "")).hasMessageContaining("secret");
    }

    @Test
    void toStringNeverShowsTheSecret() {
        S3Config c = valid.toBuilder().endpoint("http://s3.hospital.example").pathStyle(true)
                .credentials(S3Credentials.of("AKIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG")).build();

        assertThat(c.toString()).contains("AKIAEXAMPLE", "http://s3.hospital.example", "pacs-archive")
                .doesNotContain("wJalrXUtnFEMI");
        assertThat(c.credentials().toString()).doesNotContain("wJalrXUtnFEMI");
    }

    private static void assertRejected(S3Config.Builder builder, String setting) {
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(setting);
    }
}
