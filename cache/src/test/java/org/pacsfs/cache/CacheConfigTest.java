package org.pacsfs.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CacheConfigTest {
    static final long MIB = 1 << 20;
    final CacheConfig d = CacheConfig.defaults();

    @Test
    void defaultsAreValidAndTheDirectoryIsBesideTheWriteLog() {
        assertThat(d.memoryBytes()).isEqualTo(256 * MIB);
        assertThat(d.directoryUnder(Path.of("/state"))).isEqualTo(Path.of("/state/cache"));
        assertThat(d.withDirectory(Path.of("/fast")).directoryUnder(Path.of("/state"))).isEqualTo(Path.of("/fast"));
    }

    @Test
    void badValuesAreRejectedNamingTheOption() {
        assertThatThrownBy(() -> d.withMemoryBytes(MIB)).hasMessageContaining("memoryBytes").hasMessageContaining("16 MiB");
        assertThatThrownBy(() -> d.withDisk(MIB, 0.1)).hasMessageContaining("diskBytes");
        assertThatThrownBy(() -> d.withDisk(0, 0.95)).hasMessageContaining("diskMinFreeRatio");
        assertThatThrownBy(() -> d.withDisk(0, Double.NaN)).hasMessageContaining("diskMinFreeRatio");
        assertThatThrownBy(() -> d.withReadAhead(64 * MIB, 200 * MIB)).hasMessageContaining("readAheadMaxBytesTotal");
        assertThatThrownBy(() -> d.withReadAhead(100, 64 * MIB)).hasMessageContaining("readAheadMaxBytesPerFile");
        assertThatThrownBy(() -> d.withReadAhead(100 * MIB, 64 * MIB)).hasMessageContaining("readAheadMaxBytesPerFile");
        assertThatThrownBy(() -> d.withGetParallelism(0)).hasMessageContaining("getParallelism");
        assertThatThrownBy(() -> d.withGetParallelism(257)).hasMessageContaining("getParallelism");
    }

    @Test
    void zeroTurnsTheDiskTierAndReadAheadOff() {
        assertThat(d.withDisk(0, 0).diskBytes()).isZero();
        assertThat(d.withReadAhead(0, 0).readAheadMaxBytesPerFile()).isZero();
    }
}
