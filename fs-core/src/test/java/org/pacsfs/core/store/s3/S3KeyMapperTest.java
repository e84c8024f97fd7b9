package org.pacsfs.core.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class S3KeyMapperTest {

    @Test
    void addsAndStripsThePrefix() {
        var keys = new S3KeyMapper("hospital-a/");

        assertThat(keys.toBucketKey("log/0001")).isEqualTo("hospital-a/log/0001");
        assertThat(keys.toBucketPrefix("chunks/")).isEqualTo("hospital-a/chunks/");
        assertThat(keys.toBucketPrefix("")).isEqualTo("hospital-a/");
        assertThat(keys.toStoreKey("hospital-a/log/0001")).isEqualTo("log/0001");
    }

    @Test
    void theLengthLimitIncludesThePrefix() {
        var keys = new S3KeyMapper("p".repeat(24) + "/");

        assertThat(keys.toBucketKey("k".repeat(999))).hasSize(1024);
        assertThatThrownBy(() -> keys.toBucketKey("k".repeat(1000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1024");
    }

    @Test
    void aListedKeyOutsideThePrefixIsABug() {
        assertThatThrownBy(() -> new S3KeyMapper("a/").toStoreKey("b/1")).isInstanceOf(IllegalStateException.class);
    }
}
