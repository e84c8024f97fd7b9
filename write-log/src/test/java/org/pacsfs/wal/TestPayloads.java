package org.pacsfs.wal;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/** Self-describing payloads: the first 8 bytes are a key, the rest is derived from it, so any record can be checked. */
final class TestPayloads {
    private TestPayloads() {
    }

    static ByteBuffer payload(long key, int length) {
        int len = Math.max(8, length);
        ByteBuffer b = ByteBuffer.allocate(len);
        b.putLong(key);
        SplittableRandom r = new SplittableRandom(key);
        while (b.hasRemaining()) {
            b.put((byte) r.nextInt());
        }
        return b.flip();
    }

    static byte type(long key) {
        return (byte) (key * 31);
    }

    /** The key of a payload made by {@link #payload}, or an AssertionError if it is not intact. */
    static long checkIntact(WalRecord rec) {
        ByteBuffer p = rec.payload().duplicate();
        long key = p.getLong(0);
        ByteBuffer expected = payload(key, p.remaining());
        if (!expected.equals(p) || rec.type() != type(key)) {
            throw new AssertionError("record LSN " + rec.lsn() + " is not intact (key " + key + ")");
        }
        return key;
    }
}
