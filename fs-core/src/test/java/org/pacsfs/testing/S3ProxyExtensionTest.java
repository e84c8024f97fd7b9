package org.pacsfs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class S3ProxyExtensionTest {

    @Test
    void bucketNamesAreValidUniqueAndReadable() {
        assertThat(S3ProxyExtension.bucketName(7, "ifMatchWithAStaleEtagLoses")).isEqualTo("t7-ifmatchwithastaleetagloses");
        assertThat(S3ProxyExtension.bucketName(12, "closedPort(HttpClientKind)[1]")).isEqualTo("t12-closedport-httpclientkind-1");
        String longName = S3ProxyExtension.bucketName(123, "x".repeat(100) + "_y");
        assertThat(longName).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9][a-z0-9-]*[a-z0-9]");
    }
}
