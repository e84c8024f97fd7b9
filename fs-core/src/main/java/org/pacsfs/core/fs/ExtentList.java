package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The extents of one block ({@link #BLOCK_SIZE} bytes) of a file: sorted, non-overlapping, adjacent pieces of one
 * record merged. Gaps are holes and read as zeros. Immutable.
 *
 * <p>A file is cut into blocks so that a write rewrites one small index value rather than the whole file's map.
 * The list is bounded: overwrites replace what they cover, and when many small writes leave more than
 * {@link #MAX_EXTENTS} pieces the file system rewrites the block as one record (see LocalFileSystem#compactBlock).
 */
record ExtentList(List<Extent> extents) {
    static final int BLOCK_SHIFT = 20;
    static final int BLOCK_SIZE = 1 << BLOCK_SHIFT;
    static final int MAX_EXTENTS = 128;
    static final byte CODEC_VERSION = 1;
    static final ExtentList EMPTY = new ExtentList(List.of());

    int size() {
        return extents.size();
    }

    boolean isEmpty() {
        return extents.isEmpty();
    }

    /** This list with {@code e} written over whatever it overlaps. */
    ExtentList overwrite(Extent e) {
        List<Extent> out = new ArrayList<>(extents.size() + 2);
        boolean placed = false;
        for (Extent x : extents) {
            if (x.end() <= e.start()) {
                out.add(x);
                continue;
            }
            if (x.start() < e.start()) {
                out.add(x.slice(x.start(), e.start()));
            }
            if (!placed) {
                out.add(e);
                placed = true;
            }
            if (x.end() > e.end()) {
                out.add(x.slice(e.end(), x.end()));
            }
        }
        if (!placed) {
            out.add(e);
        }
        return new ExtentList(merged(out));
    }

    /** This list without anything at or after {@code end} (relative to the block). */
    ExtentList truncate(int end) {
        List<Extent> out = new ArrayList<>(extents.size());
        for (Extent x : extents) {
            if (x.start() >= end) {
                break;
            }
            out.add(x.end() <= end ? x : x.slice(x.start(), end));
        }
        return new ExtentList(out);
    }

    /** The extents overlapping [from, to), clipped to it, in order. */
    List<Extent> within(int from, int to) {
        List<Extent> out = new ArrayList<>();
        for (Extent x : extents) {
            if (x.end() > from && x.start() < to) {
                out.add(x.slice(from, to));
            }
        }
        return out;
    }

    private static List<Extent> merged(List<Extent> in) {
        List<Extent> out = new ArrayList<>(in.size());
        for (Extent x : in) {
            if (x.length() == 0) {
                continue;
            }
            int last = out.size() - 1;
            if (last >= 0 && out.get(last).continuedBy(x)) {
                Extent p = out.get(last);
                out.set(last, new Extent(p.start(), p.length() + x.length(), p.source(), p.segmentId(), p.position(), p.lsn(), p.payloadOffset()));
            } else {
                out.add(x);
            }
        }
        return out;
    }

    byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(1 + 2 + extents.size() * Extent.ENCODED_SIZE);
        b.put(CODEC_VERSION).putShort((short) extents.size());
        for (Extent x : extents) {
            x.encode(b);
        }
        return b.array();
    }

    static ExtentList fromBytes(byte[] bytes) {
        if (bytes == null) {
            return EMPTY;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte v = b.get();
        if (v != CODEC_VERSION) {
            throw new IllegalStateException("unknown extent list encoding version " + v);
        }
        int n = b.getShort() & 0xFFFF;
        List<Extent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Extent.decode(b));
        }
        return new ExtentList(out);
    }
}
