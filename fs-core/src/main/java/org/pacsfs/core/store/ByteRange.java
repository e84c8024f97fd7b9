package org.pacsfs.core.store;

/**
 * A byte range of an object: {@code length} bytes starting at {@code offset}. How a range that
 * reaches past the end of an object behaves is defined by {@link ObjectStore#get(String, ByteRange)}.
 */
public record ByteRange(long offset, long length) {

    public ByteRange {
        if (offset < 0) {
            throw new IllegalArgumentException("range offset must be >= 0, got " + offset);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("range length must be > 0, got " + length);
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("range end overflows: offset " + offset + " + length " + length);
        }
    }

    public static ByteRange of(long offset, long length) {
        return new ByteRange(offset, length);
    }

    /** The last byte of the range, inclusive (as in the HTTP {@code Range} header). */
    public long lastByte() {
        return offset + length - 1;
    }

    /** The HTTP {@code Range} header value, e.g. {@code bytes=0-1023}. */
    public String toHttpHeader() {
        return "bytes=" + offset + "-" + lastByte();
    }
}
