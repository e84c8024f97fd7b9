package org.pacsfs.core.bucket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class ChunkCodecTest {

    private final ChunkCodec codec = new ChunkCodec();

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] repetitive(int n) {
        byte[] line = "(0008,0018) UI [1.2.840.113619.2.55.3.604688119.969.1268071029.320]  #  SOPInstanceUID\n"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = line[i % line.length];
        }
        return b;
    }

    private byte[] stored(EncodedChunk e) {
        ByteBuffer s = e.stored();
        byte[] b = new byte[s.remaining()];
        s.get(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    // ---------------------------------------------------------------- round trips and the compression choice

    @Test
    void roundTripsOfAllShapes() throws Exception {
        for (byte[] raw : List.of(new byte[0], new byte[] {42}, random(1000, 1), repetitive(1000),
                random(4 << 20, 2), repetitive(4 << 20), new byte[128 * 1024])) {
            ChunkId id = ChunkId.random();
            EncodedChunk e = codec.encode(id, ByteBuffer.wrap(raw));
            assertThat(e.id()).isEqualTo(id);
            assertThat(e.ref().rawLength()).isEqualTo(raw.length);
            assertThat(e.ref().storedLength()).isEqualTo(e.storedLength()).isEqualTo(e.stored().remaining());
            assertThat(bytes(codec.decode(e.ref(), e.stored()))).isEqualTo(raw);
        }
    }

    @Test
    void repetitiveDataIsCompressedRandomDataIsStoredRaw() throws Exception {
        EncodedChunk text = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(1 << 20)));
        assertThat(text.ref().compression()).isEqualTo(ChunkCompression.ZSTD);
        assertThat(text.storedLength()).isLessThan((1 << 20) / 10);

        EncodedChunk noise = codec.encode(ChunkId.random(), ByteBuffer.wrap(random(1 << 20, 3)));
        assertThat(noise.ref().compression()).isEqualTo(ChunkCompression.NONE);
        assertThat(noise.storedLength()).isEqualTo(ChunkCodec.HEADER_SIZE + (1 << 20));

        EncodedChunk empty = codec.encode(ChunkId.random(), ByteBuffer.allocate(0));
        assertThat(empty.ref().compression()).isEqualTo(ChunkCompression.NONE);
        assertThat(empty.storedLength()).isEqualTo(ChunkCodec.HEADER_SIZE);
    }

    @Test
    void encodingInPlaceGivesTheSameObjectAndSharesTheArrayWhenStoredRaw() throws Exception {
        ChunkId id = ChunkId.random();
        for (byte[] raw : new byte[][] {random(4 << 20, 21), repetitive(300_000), new byte[0]}) {
            byte[] buf = new byte[ChunkCodec.HEADER_SIZE + raw.length + 7];
            System.arraycopy(raw, 0, buf, ChunkCodec.HEADER_SIZE, raw.length);
            ByteBuffer window = ByteBuffer.wrap(buf, ChunkCodec.HEADER_SIZE, raw.length + 7).slice().limit(raw.length);
            EncodedChunk inPlace = codec.encodeWithHeadroom(id, window);
            EncodedChunk copied = codec.encode(id, ByteBuffer.wrap(raw));
            assertThat(stored(inPlace)).isEqualTo(stored(copied));
            assertThat(inPlace.ref()).isEqualTo(copied.ref());
            assertThat(bytes(codec.decode(inPlace.ref(), inPlace.stored()))).isEqualTo(raw);
            assertThat(window.position()).isZero();
            if (inPlace.ref().compression() == ChunkCompression.NONE) {
                assertThat(java.util.Arrays.copyOf(buf, inPlace.storedLength())).as("the header went into the headroom")
                        .isEqualTo(stored(inPlace));
            }
        }
        assertThatThrownBy(() -> codec.encodeWithHeadroom(id, ByteBuffer.wrap(new byte[100])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headroom");
        assertThatThrownBy(() -> codec.encodeWithHeadroom(id, ByteBuffer.wrap(new byte[100]).position(40).slice().asReadOnlyBuffer()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Large chunks are sampled before a full zstd pass: incompressible samples mean raw (even where a region between
     * the samples would compress: the documented price of not compressing 4 MiB of noise), one compressible sample
     * is enough for the full attempt.
     */
    @Test
    void compressibilityIsDecidedFromSamplesSpreadOverTheChunk() throws Exception {
        int n = 4 << 20;
        byte[] noise = random(n, 22);
        assertThat(codec.encode(ChunkId.random(), ByteBuffer.wrap(noise)).ref().compression()).isEqualTo(ChunkCompression.NONE);

        byte[] zerosBetweenSamples = random(n, 23);
        java.util.Arrays.fill(zerosBetweenSamples, 100_000, 100_000 + 900_000, (byte) 0); // between the 1st and 2nd sample
        assertThat(codec.encode(ChunkId.random(), ByteBuffer.wrap(zerosBetweenSamples)).ref().compression())
                .isEqualTo(ChunkCompression.NONE);

        byte[] zerosAtTheEnd = random(n, 24);
        java.util.Arrays.fill(zerosAtTheEnd, n / 2, n, (byte) 0); // the last two samples compress
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(zerosAtTheEnd));
        assertThat(e.ref().compression()).isEqualTo(ChunkCompression.ZSTD);
        assertThat(bytes(codec.decode(e.ref(), e.stored()))).isEqualTo(zerosAtTheEnd);

        byte[] smallNoiseThenText = new byte[200_000]; // below the sampling size: always the full attempt
        System.arraycopy(random(20_000, 25), 0, smallNoiseThenText, 0, 20_000);
        System.arraycopy(repetitive(180_000), 0, smallNoiseThenText, 20_000, 180_000);
        assertThat(codec.encode(ChunkId.random(), ByteBuffer.wrap(smallNoiseThenText)).ref().compression())
                .isEqualTo(ChunkCompression.ZSTD);
    }

    /** Data that zstd shrinks to about 93%: raw under the default 90% rule, compressed when any saving counts. */
    @Test
    void compressionIsKeptOnlyWhenItSavesEnough() throws Exception {
        int n = 1 << 20;
        byte[] mostlyRandom = random(n, 4);
        java.util.Arrays.fill(mostlyRandom, 0, n * 7 / 100, (byte) 0);
        EncodedChunk byDefault = codec.encode(ChunkId.random(), ByteBuffer.wrap(mostlyRandom));
        assertThat(byDefault.ref().compression()).isEqualTo(ChunkCompression.NONE);
        EncodedChunk anySaving = new ChunkCodec(1, 1.0).encode(ChunkId.random(), ByteBuffer.wrap(mostlyRandom));
        assertThat(anySaving.ref().compression()).isEqualTo(ChunkCompression.ZSTD);
        int payload = anySaving.storedLength() - ChunkCodec.HEADER_SIZE;
        assertThat(payload).isGreaterThan(n * 9 / 10).isLessThan(n);

        byte[] fifthZero = random(n, 5);
        java.util.Arrays.fill(fifthZero, 0, n / 5, (byte) 0);
        EncodedChunk saves20 = codec.encode(ChunkId.random(), ByteBuffer.wrap(fifthZero));
        assertThat(saves20.ref().compression()).isEqualTo(ChunkCompression.ZSTD);
        assertThat(saves20.storedLength()).isLessThanOrEqualTo(ChunkCodec.HEADER_SIZE + n * 9 / 10);
        assertThat(bytes(codec.decode(saves20.ref(), saves20.stored()))).isEqualTo(fifthZero);
    }

    @Test
    void higherLevelsWork() throws Exception {
        byte[] raw = repetitive(300_000);
        EncodedChunk e = new ChunkCodec(19).encode(ChunkId.random(), ByteBuffer.wrap(raw));
        assertThat(bytes(codec.decode(e.ref(), e.stored()))).isEqualTo(raw);
        assertThatThrownBy(() -> new ChunkCodec(99)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("99");
        assertThatThrownBy(() -> new ChunkCodec(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChunkCodec(1, 1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void buffersAreReadFromPositionToLimitAndLeftUnchanged() throws Exception {
        for (byte[] content : List.of(repetitive(5000), random(5000, 6))) {
            byte[] padded = new byte[content.length + 20];
            System.arraycopy(content, 0, padded, 7, content.length);
            ByteBuffer heap = ByteBuffer.wrap(padded, 7, content.length);
            ByteBuffer direct = ByteBuffer.allocateDirect(content.length + 3).position(3);
            direct.put(content).position(3);
            ByteBuffer sliced = ByteBuffer.wrap(padded).position(7).slice().limit(content.length);
            for (ByteBuffer raw : List.of(heap, direct, sliced)) {
                int pos = raw.position();
                EncodedChunk e = codec.encode(ChunkId.random(), raw);
                assertThat(raw.position()).isEqualTo(pos);
                assertThat(e.ref().rawLength()).isEqualTo(content.length);

                // decode from a heap buffer at an offset and from a direct buffer
                byte[] s = stored(e);
                ByteBuffer storedHeap = ByteBuffer.wrap(new byte[s.length + 5], 5, s.length).slice().put(s).flip();
                ByteBuffer storedAt = ByteBuffer.allocate(s.length + 9).position(9);
                storedAt.put(s).position(9);
                ByteBuffer storedDirect = ByteBuffer.allocateDirect(s.length).put(s).flip();
                for (ByteBuffer st : List.of(storedHeap, storedAt, storedDirect)) {
                    int p = st.position();
                    assertThat(bytes(codec.decode(e.ref(), st))).isEqualTo(content);
                    assertThat(st.position()).isEqualTo(p);
                }
            }
        }
    }

    @Test
    void storedBufferIsReadOnlyAndFresh() {
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(100)));
        ByteBuffer a = e.stored();
        assertThat(a.isReadOnly()).isTrue();
        a.get();
        assertThat(e.stored().position()).isZero();
    }

    @Test
    void headerLayout() {
        ChunkId id = ChunkId.parse("00112233445566778899aabbccddeeff");
        byte[] raw = repetitive(10_000);
        byte[] s = stored(codec.encode(id, ByteBuffer.wrap(raw)));
        ByteBuffer h = ByteBuffer.wrap(s);
        assertThat(h.getInt(0)).isEqualTo(0x5043484B);
        assertThat(new String(s, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("PCHK");
        assertThat(h.getShort(4)).isEqualTo((short) 1);
        assertThat(h.get(6)).isEqualTo((byte) 1);
        assertThat(h.get(7)).isZero();
        assertThat(h.getInt(8)).isEqualTo(raw.length);
        assertThat(h.getInt(12)).isEqualTo(s.length - 40);
        assertThat(java.util.Arrays.copyOfRange(s, 16, 32)).isEqualTo(id.toBytes());
        CRC32C rawCrc = new CRC32C();
        rawCrc.update(raw);
        assertThat(h.getInt(32)).isEqualTo((int) rawCrc.getValue());
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(s, 0, 36);
        assertThat(h.getInt(36)).isEqualTo((int) headerCrc.getValue());
        assertThat(com.github.luben.zstd.Zstd.decompress(java.util.Arrays.copyOfRange(s, 40, s.length), raw.length))
                .isEqualTo(raw);
    }

    @Test
    void refRecordsCrcAndShaOfTheWholeObject() throws Exception {
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(random(777, 8)));
        byte[] s = stored(e);
        CRC32C crc = new CRC32C();
        crc.update(s);
        assertThat(e.ref().crc32c()).isEqualTo((int) crc.getValue());
        assertThat(e.ref().sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(s));
    }

    // ---------------------------------------------------------------- ChunkRef binary form

    @Test
    void chunkRefBinaryRoundTrip() {
        ChunkRef ref = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(12345))).ref();
        assertThat(ChunkRef.ENCODED_SIZE).isEqualTo(61);
        ByteBuffer b = ByteBuffer.allocate(ChunkRef.ENCODED_SIZE + 10).position(4);
        ref.encode(b);
        assertThat(b.position()).isEqualTo(4 + ChunkRef.ENCODED_SIZE);
        b.flip().position(4);
        ChunkRef back = ChunkRef.decode(b);
        assertThat(b.position()).isEqualTo(4 + ChunkRef.ENCODED_SIZE);
        assertThat(back).isEqualTo(ref).hasSameHashCodeAs(ref);
        assertThat(back.toString()).contains(ref.id().toString());
    }

    @Test
    void chunkRefLayout() {
        ChunkRef ref = codec.encode(ChunkId.parse("00112233445566778899aabbccddeeff"),
                ByteBuffer.wrap(random(100, 9))).ref();
        ByteBuffer b = ByteBuffer.allocate(ChunkRef.ENCODED_SIZE);
        ref.encode(b);
        b.flip();
        assertThat(ChunkId.readFrom(b)).isEqualTo(ref.id());
        assertThat(b.get()).isEqualTo((byte) 0);
        assertThat(b.getInt()).isEqualTo(100);
        assertThat(b.getInt()).isEqualTo(140);
        assertThat(b.getInt()).isEqualTo(ref.crc32c());
        byte[] sha = new byte[32];
        b.get(sha);
        assertThat(sha).isEqualTo(ref.sha256());
        assertThat(b.hasRemaining()).isFalse();
    }

    @Test
    void chunkRefDecodeRefusesBadInput() {
        ChunkRef ref = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(1000))).ref();
        ByteBuffer b = ByteBuffer.allocate(ChunkRef.ENCODED_SIZE);
        ref.encode(b);
        byte[] a = b.array();
        assertThatThrownBy(() -> ChunkRef.decode(ByteBuffer.wrap(a, 0, 60))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("61");
        byte[] badCode = a.clone();
        badCode[16] = 9;
        assertThatThrownBy(() -> ChunkRef.decode(ByteBuffer.wrap(badCode))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compression code 9");
        byte[] negativeRaw = a.clone();
        negativeRaw[17] = (byte) 0x80;
        assertThatThrownBy(() -> ChunkRef.decode(ByteBuffer.wrap(negativeRaw))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("raw length");
        assertThatThrownBy(() -> new ChunkRef(ref.id(), ChunkCompression.NONE, 10, 49, 0, new byte[32]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("uncompressed");
        assertThatThrownBy(() -> new ChunkRef(ref.id(), ChunkCompression.ZSTD, 10, 39, 0, new byte[32]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header");
        assertThatThrownBy(() -> new ChunkRef(ref.id(), ChunkCompression.ZSTD, 10, 50, 0, new byte[31]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SHA-256");
        assertThatThrownBy(() -> ref.encode(ByteBuffer.allocate(60))).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- corruption: medium errors (caught by the ref)

    @Test
    void everySingleBitFlipIsDetected() {
        for (byte[] raw : List.of(repetitive(2000), random(300, 10), new byte[0])) {
            EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(raw));
            byte[] s = stored(e);
            for (int bit = 0; bit < s.length * 8; bit++) {
                byte[] bad = s.clone();
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                assertThatThrownBy(() -> codec.decode(e.ref(), ByteBuffer.wrap(bad)))
                        .isInstanceOf(ChunkCorruptException.class)
                        .hasMessageContaining(e.id().toString())
                        .hasMessageContaining("CRC32C");
            }
        }
    }

    @Test
    void truncatedOrExtendedObjectsAreDetected() {
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(3000)));
        byte[] s = stored(e);
        for (int len = 0; len < s.length; len++) {
            ByteBuffer cut = ByteBuffer.wrap(s, 0, len);
            assertThatThrownBy(() -> codec.decode(e.ref(), cut)).isInstanceOf(ChunkCorruptException.class)
                    .hasMessageContaining(e.id().toString()).hasMessageContaining("bytes, the log recorded");
        }
        byte[] longer = java.util.Arrays.copyOf(s, s.length + 1);
        assertThatThrownBy(() -> codec.decode(e.ref(), ByteBuffer.wrap(longer))).isInstanceOf(ChunkCorruptException.class);
    }

    @Test
    void anotherChunksObjectIsDetected() {
        byte[] raw = repetitive(3000);
        EncodedChunk a = codec.encode(ChunkId.random(), ByteBuffer.wrap(raw));
        EncodedChunk b = codec.encode(ChunkId.random(), ByteBuffer.wrap(raw));
        assertThat(a.storedLength()).isEqualTo(b.storedLength());
        assertThatThrownBy(() -> codec.decode(a.ref(), b.stored())).isInstanceOf(ChunkCorruptException.class)
                .hasMessageContaining(a.id().toString());
        EncodedChunk other = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(3001)));
        assertThatThrownBy(() -> codec.decode(a.ref(), other.stored())).isInstanceOf(ChunkCorruptException.class);
    }

    // ---------------------------------------------------------------- corruption: wrong writer (the ref matches the bytes)

    private record Forged(ChunkRef ref, ByteBuffer stored) {}

    /** Applies {@code change} to a copy of the object, fixes the header CRC if asked, and makes a ref that matches. */
    private static Forged forge(EncodedChunk e, boolean fixHeaderCrc, ChunkCompression refCompression, int refRawLength,
            Consumer<ByteBuffer> change) throws Exception {
        ByteBuffer s = ByteBuffer.allocate(e.storedLength());
        s.put(e.stored()).flip();
        change.accept(s);
        byte[] a = s.array();
        if (fixHeaderCrc) {
            CRC32C h = new CRC32C();
            h.update(a, 0, 36);
            s.putInt(36, (int) h.getValue());
        }
        CRC32C crc = new CRC32C();
        crc.update(a);
        ChunkRef ref = new ChunkRef(e.id(), refCompression, refRawLength, a.length, (int) crc.getValue(),
                MessageDigest.getInstance("SHA-256").digest(a));
        return new Forged(ref, ByteBuffer.wrap(a));
    }

    private static Forged forge(EncodedChunk e, Consumer<ByteBuffer> change) throws Exception {
        return forge(e, true, e.ref().compression(), e.ref().rawLength(), change);
    }

    private void assertCorrupt(Forged f, String what) {
        assertThatThrownBy(() -> codec.decode(f.ref(), f.stored())).isInstanceOf(ChunkCorruptException.class)
                .hasMessageContaining(f.ref().id().toString()).hasMessageContaining(what)
                .satisfies(x -> assertThat(((ChunkCorruptException) x).chunkId()).isEqualTo(f.ref().id()));
    }

    @Test
    void forgedHeadersAreRefused() throws Exception {
        EncodedChunk z = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(50_000)));
        EncodedChunk n = codec.encode(ChunkId.random(), ByteBuffer.wrap(random(5000, 11)));
        assertThat(z.ref().compression()).isEqualTo(ChunkCompression.ZSTD);
        assertThat(n.ref().compression()).isEqualTo(ChunkCompression.NONE);
        // sanity: an unchanged forgery decodes
        assertThat(codec.decode(forge(z, s -> {}).ref(), forge(z, s -> {}).stored()).remaining()).isEqualTo(50_000);

        assertCorrupt(forge(z, s -> s.putInt(0, 0x5043484C)), "bad magic");
        assertCorrupt(forge(z, s -> s.putShort(4, (short) 2)), "chunk format version 2, this pacsfs reads version 1");
        assertCorrupt(forge(z, false, ChunkCompression.ZSTD, 50_000, s -> s.put(7, (byte) 1)), "header CRC32C");
        assertCorrupt(forge(z, false, ChunkCompression.ZSTD, 50_000, s -> s.putInt(36, s.getInt(36) + 1)), "header CRC32C");
        assertCorrupt(forge(z, s -> s.put(6, (byte) 7)), "unknown compression code 7");
        assertCorrupt(forge(z, s -> s.put(7, (byte) 1)), "flags");
        assertCorrupt(forge(z, s -> s.putInt(8, 50_001)), "raw length 50001");
        assertCorrupt(forge(z, s -> s.putInt(12, s.getInt(12) - 1)), "payload length");
        assertCorrupt(forge(z, s -> s.put(16, (byte) (s.get(16) ^ 1))), "header holds chunk id");
        assertCorrupt(forge(z, s -> s.putInt(32, s.getInt(32) ^ 1)), "CRC32C of the data");
        assertCorrupt(forge(n, s -> s.putInt(32, s.getInt(32) ^ 1)), "CRC32C of the data");
        // header and ref disagree although both are self-consistent
        assertCorrupt(forge(z, true, ChunkCompression.ZSTD, 49_999, s -> {}), "the log recorded 49999");
        assertCorrupt(forge(z, s -> s.put(6, (byte) 0)), "compression NONE, the log recorded ZSTD");
        // the payload changed and every checksum before decompression was recomputed
        assertCorrupt(forge(z, s -> {
            for (int i = 40; i < s.limit(); i++) {
                s.put(i, (byte) 0x55);
            }
        }), "zstd payload");
        assertCorrupt(forge(n, s -> s.put(100, (byte) (s.get(100) ^ 0x10))), "CRC32C of the data");
        // a valid zstd frame of another length than the header says
        EncodedChunk longer = codec.encode(z.id(), ByteBuffer.wrap(repetitive(50_001)));
        assertCorrupt(forge(longer, true, ChunkCompression.ZSTD, 50_000, s -> s.putInt(8, 50_000)), "zstd payload");
        // a zstd frame whose content differs from the data the header's raw CRC was computed over
        byte[] other = repetitive(50_000);
        other[123] = 'X';
        EncodedChunk changed = codec.encode(z.id(), ByteBuffer.wrap(other));
        ByteBuffer zs = z.stored();
        assertCorrupt(forge(changed, s -> s.putInt(32, zs.getInt(32))), "CRC32C of the data");
    }

    @Test
    void forgedUncompressedLengthMismatchIsRefused() throws Exception {
        // a NONE ref must have stored = header + raw, so the only inconsistent forgery is via the header's compression
        EncodedChunk z = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(50_000)));
        assertCorrupt(forge(z, true, ChunkCompression.ZSTD, 50_000, s -> s.put(6, (byte) 0)),
                "compression NONE, the log recorded ZSTD");
    }

    // ---------------------------------------------------------------- scrub

    @Test
    void verifySha256() {
        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(9999)));
        byte[] s = stored(e);
        assertThat(codec.verifySha256(e.ref(), ByteBuffer.wrap(s))).isTrue();
        ByteBuffer b = ByteBuffer.wrap(s);
        codec.verifySha256(e.ref(), b);
        assertThat(b.position()).isZero();
        byte[] bad = s.clone();
        bad[s.length - 1] ^= 1;
        assertThat(codec.verifySha256(e.ref(), ByteBuffer.wrap(bad))).isFalse();
        assertThat(codec.verifySha256(e.ref(), ByteBuffer.wrap(s, 0, s.length - 1))).isFalse();
        EncodedChunk other = codec.encode(ChunkId.random(), ByteBuffer.wrap(repetitive(9999)));
        assertThat(codec.verifySha256(other.ref(), ByteBuffer.wrap(s))).isFalse();
    }

    // ---------------------------------------------------------------- threads

    @Test
    void oneCodecServesManyThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                futures.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 100; i++) {
                        int size = r.nextInt(300_000);
                        byte[] raw = r.nextBoolean() ? random(size, r.nextLong()) : repetitive(size);
                        EncodedChunk e = codec.encode(ChunkId.random(), ByteBuffer.wrap(raw));
                        assertThat(bytes(codec.decode(e.ref(), e.stored()))).isEqualTo(raw);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void compressibleChunksOfSeveralMegabytesInARowEachDecodeToTheirOwnData() throws Exception {
        // large chunks compress into reused output buffers: no chunk may carry bytes of the one before
        ChunkCodec codec = new ChunkCodec();
        java.util.Random random = new java.util.Random(42);
        for (int size : new int[] {4 << 20, 1 << 20, 3 << 20, (4 << 20) - 1, 2 << 20}) {
            byte[] raw = new byte[size];
            for (int i = 0; i < size; i += 512) {
                java.util.Arrays.fill(raw, i, Math.min(size, i + 512), (byte) random.nextInt(4));
            }
            ChunkId id = ChunkId.random();
            EncodedChunk e = codec.encode(id, ByteBuffer.wrap(raw));
            assertThat(e.ref().compression()).isEqualTo(ChunkCompression.ZSTD);
            ByteBuffer back = codec.decode(e.ref(), e.stored());
            byte[] out = new byte[back.remaining()];
            back.get(out);
            assertThat(out).isEqualTo(raw);
        }
    }
}
