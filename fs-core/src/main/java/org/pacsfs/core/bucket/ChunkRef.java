package org.pacsfs.core.bucket;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What the metadata log records about a chunk object: enough to find it ({@link #id()}), to check
 * every byte read back against it ({@link #storedLength()}, {@link #crc32c()}), to verify it
 * cryptographically in a scrub or export ({@link #sha256()}), and to size buffers before reading it.
 *
 * <p>Binary form ({@value #ENCODED_SIZE} bytes, big-endian): id (16), compression code (1), raw length
 * (4), stored length (4), CRC32C of the stored object (4), SHA-256 of the stored object (32).
 *
 * <p>Immutable.
 */
public final class ChunkRef {

    /** Size of the binary form. */
    public static final int ENCODED_SIZE = ChunkId.BYTES + 1 + 4 + 4 + 4 + 32;

    private final ChunkId id;
    private final ChunkCompression compression;
    private final int rawLength;
    private final int storedLength;
    private final int crc32c;
    private final byte[] sha256;

    /**
     * @throws IllegalArgumentException if the fields are inconsistent: negative raw length, a stored
     *     length shorter than the chunk header, an uncompressed chunk whose stored length is not header +
     *     raw length, or a SHA-256 that is not 32 bytes
     */
    public ChunkRef(ChunkId id, ChunkCompression compression, int rawLength, int storedLength, int crc32c,
            byte[] sha256) {
        this.id = Objects.requireNonNull(id, "id");
        this.compression = Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(sha256, "sha256");
        if (rawLength < 0) {
            throw new IllegalArgumentException("chunk " + id + ": raw length must be >= 0, got " + rawLength);
        }
        if (storedLength < ChunkCodec.HEADER_SIZE) {
            throw new IllegalArgumentException("chunk " + id + ": stored length " + storedLength
                    + " is shorter than the " + ChunkCodec.HEADER_SIZE + "-byte header");
        }
        if (compression == ChunkCompression.NONE && storedLength != ChunkCodec.HEADER_SIZE + rawLength) {
            throw new IllegalArgumentException("chunk " + id + ": an uncompressed chunk of " + rawLength
                    + " bytes is stored in " + (ChunkCodec.HEADER_SIZE + rawLength) + " bytes, not " + storedLength);
        }
        if (sha256.length != 32) {
            throw new IllegalArgumentException("chunk " + id + ": SHA-256 must be 32 bytes, got " + sha256.length);
        }
        this.rawLength = rawLength;
        this.storedLength = storedLength;
        this.crc32c = crc32c;
        this.sha256 = sha256.clone();
    }

    /** Writes the {@value #ENCODED_SIZE}-byte binary form at the buffer's position, advancing it. */
    public void encode(ByteBuffer out) {
        if (out.remaining() < ENCODED_SIZE) {
            throw new IllegalArgumentException("a chunk ref needs " + ENCODED_SIZE + " bytes, the buffer has "
                    + out.remaining());
        }
        id.writeTo(out);
        out.put((byte) compression.code());
        out.putInt(rawLength);
        out.putInt(storedLength);
        out.putInt(crc32c);
        out.put(sha256);
    }

    /**
     * Reads the binary form at the buffer's position, advancing it by {@value #ENCODED_SIZE}.
     *
     * @throws IllegalArgumentException if fewer than {@value #ENCODED_SIZE} bytes remain, the compression
     *     code is unknown or the fields are inconsistent (the position is then unspecified)
     */
    public static ChunkRef decode(ByteBuffer in) {
        if (in.remaining() < ENCODED_SIZE) {
            throw new IllegalArgumentException("a chunk ref is " + ENCODED_SIZE + " bytes, only " + in.remaining()
                    + " remain");
        }
        ChunkId id = ChunkId.readFrom(in);
        int code = in.get() & 0xFF;
        ChunkCompression compression = ChunkCompression.ofCode(code);
        if (compression == null) {
            throw new IllegalArgumentException("chunk ref of " + id + " has unknown compression code " + code);
        }
        int rawLength = in.getInt();
        int storedLength = in.getInt();
        int crc = in.getInt();
        byte[] sha = new byte[32];
        in.get(sha);
        return new ChunkRef(id, compression, rawLength, storedLength, crc, sha);
    }

    public ChunkId id() {
        return id;
    }

    public ChunkCompression compression() {
        return compression;
    }

    /** Length of the data the chunk holds (after decompression). */
    public int rawLength() {
        return rawLength;
    }

    /** Size of the stored object: header + payload. */
    public int storedLength() {
        return storedLength;
    }

    /** CRC32C of the whole stored object. */
    public int crc32c() {
        return crc32c;
    }

    /** SHA-256 of the whole stored object, a new array. */
    public byte[] sha256() {
        return sha256.clone();
    }

    boolean sha256Equals(byte[] digest) {
        return java.security.MessageDigest.isEqual(sha256, digest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkRef r && r.id.equals(id) && r.compression == compression
                && r.rawLength == rawLength && r.storedLength == storedLength && r.crc32c == crc32c
                && Arrays.equals(r.sha256, sha256);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, compression, rawLength, storedLength, crc32c, Arrays.hashCode(sha256));
    }

    @Override
    public String toString() {
        return "ChunkRef[" + id + ", " + compression + ", raw " + rawLength + ", stored " + storedLength
                + ", crc32c " + String.format("%08x", crc32c) + ", sha256 " + HexFormat.of().formatHex(sha256) + "]";
    }
}
