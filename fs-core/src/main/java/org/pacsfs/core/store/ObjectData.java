package org.pacsfs.core.store;

import java.util.Objects;

/**
 * The bytes of a get, with the ETag of the object they came from and the object's total size
 * (which differs from {@code bytes.length} for a range get).
 *
 * <p>The array belongs to the caller; the store keeps no reference to it.
 */
public record ObjectData(byte[] bytes, String etag, long objectSize) {

    public ObjectData {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(etag, "etag");
        if (objectSize < bytes.length) {
            throw new IllegalArgumentException(
                    "object size " + objectSize + " is smaller than the " + bytes.length + " bytes returned");
        }
    }

    @Override
    public String toString() {
        return "ObjectData[" + bytes.length + " bytes of " + objectSize + ", etag=" + etag + "]";
    }
}
