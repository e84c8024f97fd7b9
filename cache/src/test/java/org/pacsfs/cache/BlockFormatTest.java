package org.pacsfs.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BlockFormatTest {
    static final ChunkKey KEY = new ChunkKey(0x0123456789abcdefL, 42);

    static byte[] block(byte[] payload) {
        ByteBuffer p = ByteBuffer.wrap(payload);
        return TieredChunkCacheTest.concat(BlockFormat.header(KEY, p), p);
    }

    @Test
    void roundTrips() throws Exception {
        byte[] payload = new byte[10_000];
        new Random(1).nextBytes(payload);
        assertThat(TieredChunkCacheTest.bytes(BlockFormat.payload(KEY, ByteBuffer.wrap(block(payload))))).isEqualTo(payload);
        assertThat(BlockFormat.payload(KEY, ByteBuffer.wrap(block(new byte[0]))).remaining()).isZero();
    }

    @Test
    void emptyHeaderOnlyTornAndGarbageTailedFilesAreRejected() {
        byte[] good = block(new byte[1000]);
        for (byte[] bad : new byte[][] {new byte[0], Arrays.copyOf(good, BlockFormat.HEADER_SIZE),
                Arrays.copyOf(good, 10), Arrays.copyOf(good, good.length - 1), Arrays.copyOf(good, good.length + 7)}) {
            assertThatThrownBy(() -> BlockFormat.payload(KEY, ByteBuffer.wrap(bad))).isInstanceOf(CorruptChunkException.class);
        }
    }

    @Test
    void aBlockOfAnotherKeyIsRejected() {
        byte[] good = block(new byte[100]);
        assertThatThrownBy(() -> BlockFormat.payload(new ChunkKey(1, 2), ByteBuffer.wrap(good)))
                .isInstanceOf(CorruptChunkException.class).hasMessageContaining("holds key");
    }

    @Property(tries = 300)
    void everySingleBitFlipIsDetected(@ForAll @IntRange(min = 0, max = 36 + 300 - 1) int at, @ForAll @IntRange(min = 0, max = 7) int bit) {
        byte[] payload = new byte[300];
        new Random(at).nextBytes(payload);
        byte[] b = block(payload);
        b[at] ^= (byte) (1 << bit);
        assertThatThrownBy(() -> BlockFormat.payload(KEY, ByteBuffer.wrap(b))).isInstanceOf(CorruptChunkException.class);
    }
}
