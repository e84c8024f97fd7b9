package org.pacsfs.core.store.s3;

/**
 * When the SDK adds {@code x-amz-checksum-*} to requests and validates them on responses. pacsfs
 * records and verifies its own CRC32C and SHA-256 per chunk either way; this only decides what the
 * SDK does on the wire.
 */
public enum ChecksumPolicy {
    /** The SDK's default since 2.30: checksums on every operation that supports them. AWS S3 and recent MinIO/S3Proxy accept this. */
    WHEN_SUPPORTED,
    /** Only where the API requires one (e.g. batch delete): for S3-compatible servers that reject checksum trailers. */
    WHEN_REQUIRED
}
