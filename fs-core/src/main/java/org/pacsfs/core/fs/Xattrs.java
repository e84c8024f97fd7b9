package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The extended attributes of one inode, stored and logged as one value: names sorted, each with its bytes. Limits
 * as ext4 has them in one block: names up to 255 bytes, all names and values together up to {@link #MAX_TOTAL}.
 */
record Xattrs(SortedMap<String, byte[]> values) {
    static final int MAX_NAME = 255;
    static final int MAX_VALUE = 64 * 1024;
    static final int MAX_TOTAL = 64 * 1024;
    static final Xattrs EMPTY = new Xattrs(Collections.emptySortedMap());

    Xattrs with(String name, byte[] value) {
        TreeMap<String, byte[]> m = new TreeMap<>(values);
        m.put(name, value.clone());
        return new Xattrs(m);
    }

    Xattrs without(String name) {
        TreeMap<String, byte[]> m = new TreeMap<>(values);
        m.remove(name);
        return new Xattrs(m);
    }

    int totalBytes() {
        int n = 0;
        for (Map.Entry<String, byte[]> e : values.entrySet()) {
            n += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().length;
        }
        return n;
    }

    byte[] toBytes() {
        if (values.isEmpty()) {
            return new byte[0];
        }
        int size = 4;
        for (Map.Entry<String, byte[]> e : values.entrySet()) {
            size += 2 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + e.getValue().length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(values.size());
        for (Map.Entry<String, byte[]> e : values.entrySet()) {
            byte[] n = e.getKey().getBytes(StandardCharsets.UTF_8);
            b.putShort((short) n.length).put(n).putInt(e.getValue().length).put(e.getValue());
        }
        return b.array();
    }

    static Xattrs fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return EMPTY;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int count = b.getInt();
        TreeMap<String, byte[]> m = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            byte[] n = new byte[b.getShort() & 0xFFFF];
            b.get(n);
            byte[] v = new byte[b.getInt()];
            b.get(v);
            m.put(new String(n, StandardCharsets.UTF_8), v);
        }
        return new Xattrs(m);
    }
}
