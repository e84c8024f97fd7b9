package org.pacsfs.core.store;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/** The rules every object key obeys, shared by all stores so that a key valid in tests is valid in S3. */
public final class ObjectKeys {

    /** S3's limit on the length of a key, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;

    /**
     * S3's listing order: ascending UTF-8 bytes, which is code-point order. {@link String#compareTo}
     * compares UTF-16 units and disagrees for characters above U+FFFF.
     */
    public static final Comparator<String> S3_ORDER = ObjectKeys::compareCodePoints;

    private ObjectKeys() {}

    /** Returns {@code key} if it is a valid key, else throws {@link IllegalArgumentException} naming it. */
    public static String requireValid(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("an object key must be a non-empty string, got " + quoted(key));
        }
        int bytes = utf8Length(key);
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "object key is " + bytes + " UTF-8 bytes, S3 allows at most " + MAX_KEY_BYTES + ": " + quoted(key));
        }
        return key;
    }

    /** Returns {@code prefix} if it is a valid listing prefix (any non-null string, {@code ""} for all). */
    public static String requireValidPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("a listing prefix must not be null; use \"\" to list everything");
        }
        return prefix;
    }

    /** Returns {@code maxKeys} if it is a valid list page size (1..{@value ObjectStore#MAX_KEYS_PER_REQUEST}). */
    public static int requireValidPageSize(int maxKeys) {
        if (maxKeys < 1 || maxKeys > ObjectStore.MAX_KEYS_PER_REQUEST) {
            throw new IllegalArgumentException(
                    "maxKeys must be in 1.." + ObjectStore.MAX_KEYS_PER_REQUEST + ", got " + maxKeys);
        }
        return maxKeys;
    }

    /** The key's length in UTF-8 bytes. */
    public static int utf8Length(String key) {
        return key.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String quoted(String key) {
        return key == null ? "null" : "'" + key + "'";
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
