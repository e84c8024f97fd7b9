package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Keys of checkpoint entries: one kind byte and the index key, so that byte order sorts entries by kind and then
 * by index key (checkpoint parts are sorted runs, which is what lets consolidation merge them by streaming).
 */
final class CheckpointKeys {
    static final byte BLOCK = 'B';
    static final byte CHUNK = 'C';
    static final byte DENTRY = 'D';
    static final byte INODE = 'I';
    static final byte XATTRS = 'X';

    private CheckpointKeys() {
    }

    /** An entry key: compared as unsigned bytes. */
    record Key(byte[] bytes) implements Comparable<Key> {
        byte kind() {
            return bytes[0];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public int compareTo(Key o) {
            return Arrays.compareUnsigned(bytes, o.bytes);
        }
    }

    static Key inode(long ino) {
        return new Key(ByteBuffer.allocate(9).put(INODE).putLong(ino).array());
    }

    static Key xattrs(long ino) {
        return new Key(ByteBuffer.allocate(9).put(XATTRS).putLong(ino).array());
    }

    static Key dentry(byte[] dentryKey) {
        return prefixed(DENTRY, dentryKey);
    }

    static Key block(byte[] blockKey) {
        return prefixed(BLOCK, blockKey);
    }

    static Key chunk(byte[] chunkKey) {
        return prefixed(CHUNK, chunkKey);
    }

    private static Key prefixed(byte kind, byte[] k) {
        byte[] b = new byte[k.length + 1];
        b[0] = kind;
        System.arraycopy(k, 0, b, 1, k.length);
        return new Key(b);
    }
}
