package org.pacsfs.core.store.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The CRC32C that S3ObjectStore sends in {@code x-amz-checksum-crc32c} (a server that checks it rejects a PUT whose body differs). */
class S3ObjectStoreChecksumTest {
    @Test
    void crc32cIsTheBase64OfTheBigEndianValueOfTheRemainingBytes() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII); // the standard check value: 0xE3069283
        assertThat(S3ObjectStore.crc32c(ByteBuffer.wrap(check))).isEqualTo("4waSgw==");
        ByteBuffer window = ByteBuffer.wrap(("xx" + "123456789" + "yy").getBytes(StandardCharsets.US_ASCII), 2, 9).asReadOnlyBuffer();
        assertThat(S3ObjectStore.crc32c(window)).isEqualTo("4waSgw==");
        assertThat(window.position()).isEqualTo(2);
        assertThat(S3ObjectStore.crc32c(ByteBuffer.allocate(0))).isEqualTo("AAAAAA==");
    }
}
