package org.pacsfs.core.bucket;

import com.github.luben.zstd.Zstd;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Turns chunk data into chunk objects and back, verifying everything on the way back.
 *
 * <p><b>Object format</b> (all integers big-endian): a {@value #HEADER_SIZE}-byte header, then the payload.
 *
 * <pre>
 * offset size field
 *  0     4    magic 0x5043484B ("PCHK")
 *  4     2    format version, 1
 *  6     1    compression: 0 none, 1 zstd
 *  7     1    flags, 0 (a reader rejects other values)
 *  8     4    raw length (bytes of data after decompression), >= 0
 * 12     4    payload length (= object size - 40)
 * 16    16    chunk id (its binary form; equals the id in the key and in the ref)
 * 32     4    CRC32C of the raw data
 * 36     4    CRC32C of header bytes 0..35
 * 40     ...  payload: the raw data (none) or one zstd frame (zstd)
 * </pre>
 *
 * <p><b>When compression is kept:</b> a chunk of 256 KiB or more is first sampled (four 16 KiB pieces spread
 * over it are compressed); if the samples do not shrink below 97% (or maxStoredFraction, if higher), the chunk
 * is stored raw without a full zstd pass. Otherwise the whole chunk is compressed with zstd at the configured
 * level (default {@value #DEFAULT_LEVEL}); the compressed frame is stored only if it is at most {@code
 * maxStoredFraction} (default {@value #DEFAULT_MAX_STORED_FRACTION}) of the raw length, otherwise the raw
 * bytes are stored. The decision is per chunk and recorded in its header and ref; readers do not care how it was
 * made. Below 10% savings the decompression on every read (and the CPU spent) is not worth
 * the storage and transfer saved; random and already-compressed data (JPEG/JPEG 2000 pixel data) always
 * lands on the raw side.
 *
 * <p><b>Verification on decode</b>, in order: object length and CRC32C against the {@link ChunkRef} (this
 * alone catches every bit flip, truncation and wrong object); then header magic, version, flags, header
 * CRC32C, id, compression and lengths against the ref; then decompression to exactly the raw length and
 * the raw CRC32C. Any mismatch is a {@link ChunkCorruptException}; no bytes are returned.
 *
 * <p>Thread-safe: its only mutable state is a bounded pool of compression output buffers; zstd contexts are made
 * per call by zstd-jni.
 */
public final class ChunkCodec {

    /** Size of the object header. */
    public static final int HEADER_SIZE = 40;

    /** The magic number at offset 0: "PCHK". */
    public static final int MAGIC = 0x5043484B;

    /** The chunk object format version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** The default zstd level: about 450 MB/s compression on the reference machine (docs/FORMAT.md). */
    public static final int DEFAULT_LEVEL = 1;

    /** The compressed form is kept only if it is at most this fraction of the raw length. */
    public static final double DEFAULT_MAX_STORED_FRACTION = 0.9;

    /** Compressibility samples per chunk (see {@link #worthCompressing}). */
    static final int SAMPLES = 4;

    /** Bytes per compressibility sample. */
    static final int SAMPLE_BYTES = 16 << 10;

    /** Samples that zstd does not shrink below this fraction mean: store raw without a full attempt. */
    static final double SAMPLE_SKIP_FRACTION = 0.97;

    /** Bytes of a compressed object digested at a time by both checksums, small enough to stay in the L2 cache between the two. */
    private static final int DIGEST_SLICE = 64 << 10;

    /** The largest raw length accepted by {@link #encode}. Chunks are 4 MiB at most by policy; this is a sanity bound. */
    public static final int MAX_RAW_LENGTH = 1 << 30;

    /** Compressed chunks kept at most (a few, as compressions run on the CPUs at once; each up to about 4 MiB). */
    private static final int SCRATCH_BUFFERS = Math.min(4, Runtime.getRuntime().availableProcessors());

    /** Chunks from this size on compress into a pooled buffer; smaller ones into a fresh (small, cheap) one. */
    private static final int SCRATCH_FROM = 1 << 20;

    private final int level;
    private final double maxStoredFraction;

    /**
     * Output buffers for zstd, reused: each compression needs one of the worst-case size (over 4 MiB for a full chunk)
     * of which only the compressed length is kept, so a fresh one per chunk was a large short-lived heap allocation per
     * 4 MiB shipped (garbage and G1 concurrent cycles: docs/BENCHMARKS.md, CPU per GiB). Shared, not per thread.
     */
    private final java.util.concurrent.ArrayBlockingQueue<byte[]> scratch = new java.util.concurrent.ArrayBlockingQueue<>(SCRATCH_BUFFERS);

    /** Level {@value #DEFAULT_LEVEL}, threshold {@value #DEFAULT_MAX_STORED_FRACTION}. */
    public ChunkCodec() {
        this(DEFAULT_LEVEL, DEFAULT_MAX_STORED_FRACTION);
    }

    /** The given zstd level, threshold {@value #DEFAULT_MAX_STORED_FRACTION}. */
    public ChunkCodec(int level) {
        this(level, DEFAULT_MAX_STORED_FRACTION);
    }

    /**
     * @param level a zstd level, {@link Zstd#minCompressionLevel()}..{@link Zstd#maxCompressionLevel()}
     * @param maxStoredFraction keep the compressed payload only if its length is at most this fraction of
     *     the raw length, in (0, 1]
     */
    public ChunkCodec(int level, double maxStoredFraction) {
        if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel()) {
            throw new IllegalArgumentException("zstd level must be in " + Zstd.minCompressionLevel() + ".."
                    + Zstd.maxCompressionLevel() + ", got " + level);
        }
        if (!(maxStoredFraction > 0 && maxStoredFraction <= 1)) {
            throw new IllegalArgumentException("maxStoredFraction must be in (0, 1], got " + maxStoredFraction);
        }
        this.level = level;
        this.maxStoredFraction = maxStoredFraction;
    }

    public int level() {
        return level;
    }

    public double maxStoredFraction() {
        return maxStoredFraction;
    }

    /**
     * Encodes the bytes between {@code raw}'s position and limit (the buffer's position is not changed)
     * as the chunk object {@code id}. Copies the data once; see {@link #encodeWithHeadroom} for no copy.
     */
    public EncodedChunk encode(ChunkId id, ByteBuffer raw) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(raw, "raw");
        checkLength(id, raw.remaining());
        byte[] buf = new byte[HEADER_SIZE + raw.remaining()];
        raw.duplicate().get(buf, HEADER_SIZE, raw.remaining());
        return encodeAt(id, buf, HEADER_SIZE, raw.remaining());
    }

    /**
     * Like {@link #encode}, without copying the data: {@code raw} must be array-backed with at least {@value
     * #HEADER_SIZE} bytes of its array right before its position, which this method overwrites with the header.
     * When the chunk is stored raw, the returned object shares that array (the shipping path builds each chunk
     * in a buffer with this headroom, so a 4 MiB chunk is not copied once more on its way to S3).
     *
     * @throws IllegalArgumentException if there is no headroom
     */
    public EncodedChunk encodeWithHeadroom(ChunkId id, ByteBuffer raw) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(raw, "raw");
        checkLength(id, raw.remaining());
        if (!raw.hasArray() || raw.isReadOnly() || raw.arrayOffset() + raw.position() < HEADER_SIZE) {
            throw new IllegalArgumentException("chunk " + id + ": the data needs " + HEADER_SIZE
                    + " writable bytes of headroom in its array");
        }
        return encodeAt(id, raw.array(), raw.arrayOffset() + raw.position(), raw.remaining());
    }

    private static void checkLength(ChunkId id, int rawLength) {
        if (rawLength > MAX_RAW_LENGTH) {
            throw new IllegalArgumentException("chunk " + id + ": " + rawLength + " bytes is more than the "
                    + MAX_RAW_LENGTH + " a chunk may hold");
        }
    }

    /** Encodes {@code buf[at, at + rawLength)}; the header goes to {@code buf[at - HEADER_SIZE, at)} if stored raw. */
    private EncodedChunk encodeAt(ChunkId id, byte[] buf, int at, int rawLength) {
        CRC32C rawCrc = new CRC32C();
        rawCrc.update(buf, at, rawLength);
        byte[] stored = rawLength > 0 && worthCompressing(buf, at, rawLength) ? compressed(id, buf, at, rawLength) : null;
        ChunkCompression compression = stored == null ? ChunkCompression.NONE : ChunkCompression.ZSTD;
        int start = stored == null ? at - HEADER_SIZE : 0;
        int storedLength = stored == null ? HEADER_SIZE + rawLength : stored.length;
        if (stored == null) {
            stored = buf;
        }
        ByteBuffer h = ByteBuffer.wrap(stored, start, HEADER_SIZE);
        h.putInt(MAGIC);
        h.putShort((short) FORMAT_VERSION);
        h.put((byte) compression.code());
        h.put((byte) 0);
        h.putInt(rawLength);
        h.putInt(storedLength - HEADER_SIZE);
        id.writeTo(h);
        h.putInt((int) rawCrc.getValue());
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(stored, start, HEADER_SIZE - 4);
        h.putInt((int) headerCrc.getValue());

        // The SHA-256 of the object, and its CRC32C: for a raw chunk derived from the data's (the object is the
        // header and then the data), for a compressed one computed slice by slice while each slice is in the CPU cache.
        MessageDigest sha = sha256Digest();
        int objectCrc;
        if (compression == ChunkCompression.NONE) {
            CRC32C head = new CRC32C();
            head.update(stored, start, HEADER_SIZE);
            objectCrc = Crc32cCombine.combine((int) head.getValue(), (int) rawCrc.getValue(), rawLength);
            sha.update(stored, start, storedLength);
        } else {
            CRC32C crc = new CRC32C();
            for (int off = start, end = start + storedLength; off < end; off += DIGEST_SLICE) {
                int n = Math.min(DIGEST_SLICE, end - off);
                crc.update(stored, off, n);
                sha.update(stored, off, n);
            }
            objectCrc = (int) crc.getValue();
        }
        ChunkRef ref = new ChunkRef(id, compression, rawLength, storedLength, objectCrc, sha.digest());
        return new EncodedChunk(ref, stored, start, storedLength);
    }

    /**
     * Whether a full zstd pass may pay: {@value #SAMPLES} samples of {@value #SAMPLE_BYTES} bytes spread over the
     * chunk are compressed first, and if together they do not shrink below {@link #SAMPLE_SKIP_FRACTION} (nor below
     * maxStoredFraction), the chunk is stored raw without compressing the rest. Random and already-compressed data
     * (JPEG / JPEG 2000 pixel data) costs about 1/16 of a full attempt this way; data that compresses anywhere in the
     * samples gets the full attempt and the usual maxStoredFraction rule.
     */
    private boolean worthCompressing(byte[] buf, int at, int rawLength) {
        if (rawLength < SAMPLES * SAMPLE_BYTES * 4) {
            return true; // small chunks: the full attempt is cheap
        }
        byte[] out = new byte[(int) Zstd.compressBound(SAMPLE_BYTES)];
        long in = 0;
        long compressed = 0;
        for (int i = 0; i < SAMPLES; i++) {
            int from = at + (int) ((long) (rawLength - SAMPLE_BYTES) * i / (SAMPLES - 1));
            long n = Zstd.compressByteArray(out, 0, out.length, buf, from, SAMPLE_BYTES, level);
            if (Zstd.isError(n)) {
                return true; // let the full attempt report it
            }
            in += SAMPLE_BYTES;
            compressed += n;
        }
        return compressed < in * Math.max(SAMPLE_SKIP_FRACTION, maxStoredFraction);
    }

    /** The whole object (header space + zstd frame) if compression saves enough, else null. */
    private byte[] compressed(ChunkId id, byte[] src, int srcOff, int rawLength) {
        int bound = (int) Zstd.compressBound(rawLength);
        boolean pooled = rawLength >= SCRATCH_FROM;
        byte[] out = pooled ? scratch.poll() : null;
        if (out == null || out.length < HEADER_SIZE + bound) {
            out = new byte[HEADER_SIZE + bound];
        }
        try {
            long n = Zstd.compressByteArray(out, HEADER_SIZE, bound, src, srcOff, rawLength, level);
            if (Zstd.isError(n)) {
                throw new IllegalStateException("zstd failed to compress chunk " + id + ": " + Zstd.getErrorName(n));
            }
            return n <= (long) Math.floor(rawLength * maxStoredFraction) ? Arrays.copyOf(out, HEADER_SIZE + (int) n) : null;
        } finally {
            if (pooled) {
                scratch.offer(out);
            }
        }
    }

    /**
     * Verifies the stored object (the bytes between {@code stored}'s position and limit; the position is not
     * changed) against {@code ref} and returns the chunk's data: a buffer with position 0 and limit {@link
     * ChunkRef#rawLength()}. For an uncompressed chunk it is a slice of {@code stored} (no copy).
     *
     * @throws ChunkCorruptException naming the chunk and what did not match; no data is returned then
     */
    public ByteBuffer decode(ChunkRef ref, ByteBuffer stored) throws ChunkCorruptException {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(stored, "stored");
        ChunkId id = ref.id();
        ByteBuffer s = stored.slice();
        if (s.remaining() != ref.storedLength()) {
            throw new ChunkCorruptException(id, "object is " + s.remaining() + " bytes, the log recorded "
                    + ref.storedLength());
        }
        // Each byte is read once: the CRC32C of the part after the header is combined with the header's into the
        // object's; for an uncompressed chunk that part is the data, so the data check below reuses it.
        int afterHeaderCrc = -1;
        int objectCrc;
        if (s.remaining() >= HEADER_SIZE) {
            CRC32C head = new CRC32C();
            head.update(s.duplicate().limit(HEADER_SIZE));
            CRC32C rest = new CRC32C();
            rest.update(s.duplicate().position(HEADER_SIZE));
            afterHeaderCrc = (int) rest.getValue();
            objectCrc = Crc32cCombine.combine((int) head.getValue(), afterHeaderCrc, s.remaining() - HEADER_SIZE);
        } else {
            CRC32C whole = new CRC32C();
            whole.update(s.duplicate());
            objectCrc = (int) whole.getValue();
        }
        if (objectCrc != ref.crc32c()) {
            throw new ChunkCorruptException(id, String.format(
                    "CRC32C of the object is %08x, the log recorded %08x", objectCrc, ref.crc32c()));
        }
        // The CRC matched: from here on, a mismatch means the writer or the ref is wrong, not the medium.
        int magic = s.getInt(0);
        if (magic != MAGIC) {
            throw new ChunkCorruptException(id, String.format("bad magic %08x, expected %08x", magic, MAGIC));
        }
        int version = s.getShort(4) & 0xFFFF;
        if (version != FORMAT_VERSION) {
            throw new ChunkCorruptException(id, "chunk format version " + version + ", this pacsfs reads version "
                    + FORMAT_VERSION);
        }
        CRC32C hcrc = new CRC32C();
        hcrc.update(s.duplicate().limit(HEADER_SIZE - 4));
        if ((int) hcrc.getValue() != s.getInt(HEADER_SIZE - 4)) {
            throw new ChunkCorruptException(id, "header CRC32C does not match");
        }
        int code = s.get(6) & 0xFF;
        ChunkCompression compression = ChunkCompression.ofCode(code);
        if (compression == null) {
            throw new ChunkCorruptException(id, "unknown compression code " + code + " in the header");
        }
        if (compression != ref.compression()) {
            throw new ChunkCorruptException(id, "header says compression " + compression + ", the log recorded "
                    + ref.compression());
        }
        int flags = s.get(7) & 0xFF;
        if (flags != 0) {
            throw new ChunkCorruptException(id, "unknown header flags " + flags);
        }
        int rawLength = s.getInt(8);
        if (rawLength != ref.rawLength()) {
            throw new ChunkCorruptException(id, "header says raw length " + rawLength + ", the log recorded "
                    + ref.rawLength());
        }
        int payloadLength = s.getInt(12);
        if (payloadLength != s.remaining() - HEADER_SIZE) {
            throw new ChunkCorruptException(id, "header says payload length " + payloadLength + ", the object has "
                    + (s.remaining() - HEADER_SIZE));
        }
        ChunkId headerId = ChunkId.readFrom(s.duplicate().position(16));
        if (!headerId.equals(id)) {
            throw new ChunkCorruptException(id, "header holds chunk id " + headerId);
        }
        int rawCrcExpected = s.getInt(32);

        ByteBuffer data;
        if (compression == ChunkCompression.NONE) {
            if (payloadLength != rawLength) {
                throw new ChunkCorruptException(id, "uncompressed payload is " + payloadLength + " bytes, raw length "
                        + rawLength);
            }
            data = s.slice(HEADER_SIZE, rawLength);
        } else {
            byte[] src;
            int off;
            if (s.hasArray()) {
                src = s.array();
                off = s.arrayOffset() + HEADER_SIZE;
            } else {
                src = new byte[payloadLength];
                s.get(HEADER_SIZE, src);
                off = 0;
            }
            byte[] out = new byte[rawLength];
            long n;
            try {
                n = Zstd.decompressByteArray(out, 0, rawLength, src, off, payloadLength);
            } catch (RuntimeException e) { // zstd-jni reports most errors as ZstdException
                throw new ChunkCorruptException(id, "zstd payload does not decompress to " + rawLength + " bytes: "
                        + e.getMessage(), e);
            }
            if (Zstd.isError(n)) {
                throw new ChunkCorruptException(id, "zstd payload does not decompress to " + rawLength + " bytes: "
                        + Zstd.getErrorName(n));
            }
            if (n != rawLength) {
                throw new ChunkCorruptException(id, "zstd payload decompresses to " + n + " bytes, raw length "
                        + rawLength);
            }
            data = ByteBuffer.wrap(out);
        }
        int dataCrc;
        if (compression == ChunkCompression.NONE) {
            dataCrc = afterHeaderCrc; // the data is exactly the bytes after the header, checksummed above
        } else {
            CRC32C rawCrc = new CRC32C();
            rawCrc.update(data.duplicate());
            dataCrc = (int) rawCrc.getValue();
        }
        if (dataCrc != rawCrcExpected) {
            throw new ChunkCorruptException(id, String.format("CRC32C of the data is %08x, the header recorded %08x",
                    dataCrc, rawCrcExpected));
        }
        return data;
    }

    /**
     * For scrub and export: whether {@code stored} (position to limit, position unchanged) has the length
     * and SHA-256 that {@code ref} recorded.
     */
    public boolean verifySha256(ChunkRef ref, ByteBuffer stored) {
        Objects.requireNonNull(ref, "ref");
        if (stored.remaining() != ref.storedLength()) {
            return false;
        }
        MessageDigest md = sha256Digest();
        md.update(stored.duplicate());
        return ref.sha256Equals(md.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform has SHA-256", e);
        }
    }
}
