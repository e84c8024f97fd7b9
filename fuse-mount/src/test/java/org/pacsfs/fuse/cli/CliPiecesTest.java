package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class CliPiecesTest {

    @Test
    void s3LocationsAreParsedAndNormalised() {
        assertThat(S3Location.parse("s3://bucket")).isEqualTo(new S3Location("bucket", ""));
        assertThat(S3Location.parse("s3://bucket/")).isEqualTo(new S3Location("bucket", ""));
        assertThat(S3Location.parse("s3://bucket/pacs")).isEqualTo(new S3Location("bucket", "pacs/"));
        assertThat(S3Location.parse("s3://bucket//a//b/")).isEqualTo(new S3Location("bucket", "a/b/"));
        assertThat(S3Location.parse("s3://bucket/a/b").localName()).isEqualTo("bucket_a_b");
        assertThatThrownBy(() -> S3Location.parse("https://bucket")).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("expected s3://BUCKET");
        assertThatThrownBy(() -> S3Location.parse("s3:///x")).hasMessageContaining("names no bucket");
    }

    @Test
    void sizesTakeBinarySuffixes() {
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("512M")).isEqualTo(512L << 20);
        assertThat(Sizes.parse("4G")).isEqualTo(4L << 30);
        assertThat(Sizes.parse("4GiB")).isEqualTo(4L << 30);
        assertThat(Sizes.parse("100t")).isEqualTo(100L << 40);
        assertThatThrownBy(() -> Sizes.parse("lots")).hasMessageContaining("'lots' is not a size");
        assertThatThrownBy(() -> Sizes.parse("-1")).hasMessageContaining("is not a size");
        assertThatThrownBy(() -> Sizes.parse("99999999999T")).hasMessageContaining("is not a size");
    }

    @Test
    void versionAndUsageExitCodes() {
        assertThat(Main.run("--version")).isZero();
        assertThat(Main.run("mount", "--no-such-option", "/x")).isEqualTo(2);
        assertThat(Main.run("unmount", "/definitely/not/a/mount")).isEqualTo(1);
    }

    @Test
    void theMemoryCacheDefaultsToAQuarterOfTheHeapBetween16MiBAnd256MiB() {
        long mib = 1L << 20;
        assertThat(MountCommand.defaultMemoryCache(448 * mib)).isEqualTo(112 * mib);
        assertThat(MountCommand.defaultMemoryCache(2048 * mib)).isEqualTo(256 * mib);
        assertThat(MountCommand.defaultMemoryCache(32 * mib)).isEqualTo(16 * mib);
        assertThat(MountCommand.defaultMemoryCache(450 * mib + 12345)).isEqualTo(112 * mib); // whole MiB
    }
}
