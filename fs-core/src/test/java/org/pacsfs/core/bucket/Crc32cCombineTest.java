package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.zip.CRC32C;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The combined CRC32C of two parts is the CRC32C of their concatenation, for every split. */
class Crc32cCombineTest {

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @Property(tries = 500)
    void combineEqualsCrcOfConcatenation(@ForAll @IntRange(max = 70_000) int size, @ForAll Random r) {
        byte[] b = new byte[size];
        r.nextBytes(b);
        int split = size == 0 ? 0 : r.nextInt(size + 1);
        int combined = Crc32cCombine.combine(crc(b, 0, split), crc(b, split, size - split), size - split);
        assertThat(combined).isEqualTo(crc(b, 0, size));
    }

    @Test
    void chunkSizedPartsAndEmptyParts() {
        byte[] b = new byte[(4 << 20) + 40];
        new Random(7).nextBytes(b);
        assertThat(Crc32cCombine.combine(crc(b, 0, 40), crc(b, 40, 4 << 20), 4 << 20)).isEqualTo(crc(b, 0, b.length));
        assertThat(Crc32cCombine.combine(crc(b, 0, 0), crc(b, 0, 100), 100)).isEqualTo(crc(b, 0, 100));
        assertThat(Crc32cCombine.combine(crc(b, 0, 100), crc(b, 100, 0), 0)).isEqualTo(crc(b, 0, 100));
    }

    @Test
    void aKnownVector() {
        // RFC 3720 B.4: 32 bytes of zeros have CRC32C 0x8A9136AA; split 13 / 19
        byte[] zeros = new byte[32];
        assertThat(crc(zeros, 0, 32)).isEqualTo(0x8A9136AA);
        assertThat(Crc32cCombine.combine(crc(zeros, 0, 13), crc(zeros, 13, 19), 19)).isEqualTo(0x8A9136AA);
    }

    @Test
    void negativeLengthIsRefused() {
        assertThatThrownBy(() -> Crc32cCombine.combine(0, 0, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }
}
