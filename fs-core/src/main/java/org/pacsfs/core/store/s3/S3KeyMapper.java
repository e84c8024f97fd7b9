package org.pacsfs.core.store.s3;

import org.pacsfs.core.store.ObjectKeys;

/**
 * The one place where store keys become bucket keys and back: the configured prefix is added to
 * every key sent and stripped from every key listed. Immutable, thread-safe.
 */
final class S3KeyMapper {
    private final String prefix;

    S3KeyMapper(String prefix) {
        this.prefix = prefix;
    }

    /** The bucket key of a store key; validates the store key and the length of the result. */
    String toBucketKey(String key) {
        ObjectKeys.requireValid(key);
        String full = prefix + key;
        if (ObjectKeys.utf8Length(full) > ObjectKeys.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("object key with prefix '" + prefix + "' is longer than "
                    + ObjectKeys.MAX_KEY_BYTES + " UTF-8 bytes: '" + key + "'");
        }
        return full;
    }

    /** The bucket prefix of a listing prefix ({@code ""} lists the whole store). */
    String toBucketPrefix(String listPrefix) {
        return prefix + ObjectKeys.requireValidPrefix(listPrefix);
    }

    /** The store key of a listed bucket key, which always starts with the prefix because listings are scoped to it. */
    String toStoreKey(String bucketKey) {
        if (!bucketKey.startsWith(prefix)) {
            throw new IllegalStateException("listed key '" + bucketKey + "' is outside the prefix '" + prefix + "'");
        }
        return bucketKey.substring(prefix.length());
    }
}
