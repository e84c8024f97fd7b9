package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Random data, random damage: a damaged object never decodes; an undamaged one always does, to the same bytes. */
class ChunkCodecPropertiesTest {

    private final ChunkCodec codec = new ChunkCodec();

    private static byte[] data(int size, boolean compressible, Random r) {
        if (!compressible) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            return b;
        }
        byte[] b = ChunkCodecTest.repetitive(size);
        for (int i = 0; i < size / 100; i++) {
            b[r.nextInt(size)] = (byte) r.nextInt();
        }
        return b;
    }

    @Property(tries = 300)
    void roundTrip(@ForAll @IntRange(max = 300_000) int size, @ForAll boolean compressible, @ForAll Random r)
            throws Exception {
        byte[] raw = data(size, compressible, r);
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(raw));
        ByteBuffer back = codec.decode(e.ref(), e.stored());
        byte[] b = new byte[back.remaining()];
        back.get(b);
        assertThat(b).isEqualTo(raw);
        assertThat(codec.verifySha256(e.ref(), e.stored())).isTrue();
        // the recorded CRC32C is the plain CRC32C of the object (derived, not computed, for raw chunks)
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(e.stored());
        assertThat(e.ref().crc32c()).isEqualTo((int) crc.getValue());
    }

    /** Up to 3 flipped bits are always caught (CRC32C has Hamming distance >= 4 below 2^31 bits). */
    @Property(tries = 1000)
    void flippedBitsAreAlwaysDetected(@ForAll @IntRange(max = 200_000) int size, @ForAll boolean compressible,
            @ForAll @IntRange(min = 1, max = 3) int flips, @ForAll Random r) {
        byte[] raw = data(size, compressible, r);
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(raw));
        ByteBuffer s = e.stored();
        byte[] bad = new byte[s.remaining()];
        s.get(bad);
        java.util.Set<Integer> bits = new java.util.HashSet<>();
        while (bits.size() < flips) {
            bits.add(r.nextInt(bad.length * 8));
        }
        for (int bit : bits) {
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        assertThatThrownBy(() -> codec.decode(e.ref(), ByteBuffer.wrap(bad)))
                .isInstanceOf(ChunkCorruptException.class).hasMessageContaining(e.id().toString());
        assertThat(codec.verifySha256(e.ref(), ByteBuffer.wrap(bad))).isFalse();
    }

    /** A run of up to 4 damaged bytes anywhere (a burst of at most 32 bits) is always caught by CRC32C. */
    @Property(tries = 1000)
    void damagedBytesAreAlwaysDetected(@ForAll @IntRange(max = 100_000) int size, @ForAll boolean compressible,
            @ForAll @IntRange(min = 1, max = 4) int run, @ForAll Random r) {
        byte[] raw = data(size, compressible, r);
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(raw));
        ByteBuffer s = e.stored();
        byte[] bad = new byte[s.remaining()];
        s.get(bad);
        int at = r.nextInt(bad.length - run + 1);
        for (int i = at; i < at + run; i++) {
            bad[i] ^= (byte) (1 + r.nextInt(255));
        }
        assertThatThrownBy(() -> codec.decode(e.ref(), ByteBuffer.wrap(bad))).isInstanceOf(ChunkCorruptException.class);
    }
}
