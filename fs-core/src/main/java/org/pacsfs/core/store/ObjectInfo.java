package org.pacsfs.core.store;

import java.time.Instant;
import java.util.Objects;

/**
 * Metadata of one object, as returned by head and list. {@code lastModified} has S3's precision
 * (whole seconds); do not compare it with sub-second clocks.
 */
public record ObjectInfo(String key, long size, String etag, Instant lastModified) {

    public ObjectInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(lastModified, "lastModified");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, got " + size);
        }
    }
}
