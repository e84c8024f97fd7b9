package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkIdTest {

    @Test
    void textAndBinaryFormsRoundTrip() {
        ChunkId id = ChunkId.random();
        assertThat(id.toString()).matches("[0-9a-f]{32}");
        assertThat(ChunkId.parse(id.toString())).isEqualTo(id).hasSameHashCodeAs(id);
        assertThat(ChunkId.fromBytes(id.toBytes())).isEqualTo(id);
        ByteBuffer b = ByteBuffer.allocate(20).position(2);
        id.writeTo(b);
        assertThat(b.position()).isEqualTo(18);
        assertThat(ChunkId.readFrom(b.flip().position(2))).isEqualTo(id);
    }

    @Test
    void textFormIsTheBinaryFormInHex() {
        byte[] bytes = new byte[16];
        for (int i = 0; i < 16; i++) {
            bytes[i] = (byte) (0xf0 + i);
        }
        assertThat(ChunkId.fromBytes(bytes).toString()).isEqualTo("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        assertThat(ChunkId.parse("000102030405060708090a0b0c0d0e0f").toBytes())
                .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }

    @Test
    void parseIsStrict() {
        String good = "0123456789abcdef0123456789abcdef";
        assertThat(ChunkId.parse(good).toString()).isEqualTo(good);
        for (String bad : new String[] {"", good.substring(1), good + "0", good.toUpperCase(), " " + good.substring(1),
                "g123456789abcdef0123456789abcdef", "+123456789abcdef0123456789abcdef"}) {
            assertThatThrownBy(() -> ChunkId.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("32 lowercase hex digits").hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> ChunkId.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChunkId.fromBytes(new byte[15])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("15");
    }

    @Test
    void carriesItsCreationTimeAndSortsByIt() {
        Instant t = Instant.parse("2025-06-01T12:00:00.123Z");
        Random r = new Random(1);
        ChunkId a = ChunkId.generate(Clock.fixed(t, ZoneOffset.UTC), r);
        ChunkId b = ChunkId.generate(Clock.fixed(t.plusMillis(1), ZoneOffset.UTC), r);
        assertThat(a.createdAt()).isEqualTo(t);
        assertThat(a).isLessThan(b);
        assertThat(a.toString()).isLessThan(b.toString());
        assertThat(a.toString()).startsWith(String.format("%012x", t.toEpochMilli()));
    }

    @Test
    void orderIsUnsignedByteOrderLikeTheText() {
        ChunkId low = ChunkId.parse("7fffffffffffffffffffffffffffffff");
        ChunkId high = ChunkId.parse("80000000000000000000000000000000");
        assertThat(low).isLessThan(high);
    }

    @Test
    void aMillionIdsAreDistinct() {
        int n = 1_000_000;
        ChunkId[] ids = new ChunkId[n];
        for (int i = 0; i < n; i++) {
            ids[i] = ChunkId.random();
        }
        Arrays.sort(ids);
        for (int i = 1; i < n; i++) {
            assertThat(ids[i]).isNotEqualTo(ids[i - 1]);
        }
    }

    @Test
    void idsMadeInTheSameMillisecondDifferInTheirRandomBits() {
        Clock frozen = Clock.fixed(Instant.parse("2025-06-01T00:00:00Z"), ZoneOffset.UTC);
        Random r = new Random(7);
        ChunkId a = ChunkId.generate(frozen, r);
        ChunkId b = ChunkId.generate(frozen, r);
        assertThat(a).isNotEqualTo(b);
        assertThat(a.toString().substring(0, 12)).isEqualTo(b.toString().substring(0, 12));
    }
}
