package org.pacsfs.core.bucket;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Random;

/**
 * The name of a chunk object: 16 bytes, unique without coordination between machines, processes and
 * restarts, rendered as 32 lowercase hex digits.
 *
 * <p>Layout (big-endian): bytes 0..5 are the creation time in milliseconds since the epoch (48 bits,
 * enough until the year 10889), bytes 6..15 are 80 bits from {@link SecureRandom}. Two ids collide only
 * if they are made in the same millisecond and draw the same 80 random bits: with a million chunks per
 * millisecond the probability is about 4e-13. The time prefix makes ids sort roughly by creation time
 * (useful to read listings and to reason about the age of an unreferenced chunk); nothing relies on
 * it for correctness, and {@link #parse} accepts any 32 lowercase hex digits.
 *
 * <p>Immutable and thread-safe; {@link #random()} may be called from any thread.
 */
public final class ChunkId implements Comparable<ChunkId> {

    /** Length of the binary form. */
    public static final int BYTES = 16;

    /** Length of the text form (lowercase hex). */
    public static final int HEX_LENGTH = 32;

    private static final long MAX_MILLIS = (1L << 48) - 1;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private final long hi;
    private final long lo;

    private ChunkId(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    /** A new id with the current time and fresh random bits. */
    public static ChunkId random() {
        return generate(Clock.systemUTC(), RANDOM);
    }

    /** A new id made with the given clock and random source (tests; production uses {@link #random()}). */
    public static ChunkId generate(Clock clock, Random random) {
        long millis = clock.millis();
        if (millis < 0 || millis > MAX_MILLIS) {
            throw new IllegalArgumentException("clock time " + millis + " ms does not fit the 48-bit chunk id time field");
        }
        byte[] r = new byte[10];
        random.nextBytes(r);
        long hi = (millis << 16) | ((r[0] & 0xFFL) << 8) | (r[1] & 0xFFL);
        long lo = 0;
        for (int i = 2; i < 10; i++) {
            lo = (lo << 8) | (r[i] & 0xFFL);
        }
        return new ChunkId(hi, lo);
    }

    /**
     * Parses the text form: exactly 32 lowercase hex digits.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static ChunkId parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("a chunk id must be 32 lowercase hex digits, got null");
        }
        if (text.length() != HEX_LENGTH) {
            throw new IllegalArgumentException(
                    "a chunk id must be 32 lowercase hex digits, got " + text.length() + " characters: '" + text + "'");
        }
        for (int i = 0; i < HEX_LENGTH; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new IllegalArgumentException(
                        "a chunk id must be 32 lowercase hex digits, got '" + text + "' (bad character at index " + i + ")");
            }
        }
        return new ChunkId(HexFormat.fromHexDigitsToLong(text, 0, 16), HexFormat.fromHexDigitsToLong(text, 16, 32));
    }

    /** The id whose binary form is {@code bytes} (exactly {@value #BYTES} bytes). */
    public static ChunkId fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a chunk id is " + BYTES + " bytes, got " + bytes.length);
        }
        return readFrom(ByteBuffer.wrap(bytes));
    }

    /** Reads the {@value #BYTES}-byte binary form at the buffer's position, advancing it. */
    public static ChunkId readFrom(ByteBuffer in) {
        long hi = in.getLong();
        long lo = in.getLong();
        return new ChunkId(hi, lo);
    }

    /** Writes the {@value #BYTES}-byte binary form at the buffer's position, advancing it. */
    public void writeTo(ByteBuffer out) {
        out.putLong(hi);
        out.putLong(lo);
    }

    /** The binary form, a new array. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        writeTo(b);
        return b.array();
    }

    /** The creation time recorded in the first 6 bytes (meaningful for ids made by {@link #random()}). */
    public Instant createdAt() {
        return Instant.ofEpochMilli(hi >>> 16);
    }

    /** The 32 lowercase hex digits. */
    @Override
    public String toString() {
        return HEX.toHexDigits(hi) + HEX.toHexDigits(lo);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkId other && other.hi == hi && other.lo == lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi * 31 + lo);
    }

    /** Unsigned byte order, the same as the order of the text forms. */
    @Override
    public int compareTo(ChunkId o) {
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }
}
