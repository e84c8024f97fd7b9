package org.pacsfs.core.store.s3;

import java.util.Objects;

/**
 * Server-side encryption requested on every PUT (chunks, log segments, checkpoints, superblock, lease). pacsfs's own
 * checksums are over the stored bytes either way; encryption at rest is the server's business.
 */
public sealed interface ServerSideEncryption {

    /** No header: the bucket's default applies. */
    ServerSideEncryption NONE = new None();

    /** {@code x-amz-server-side-encryption: AES256} (SSE-S3: keys managed by the server). */
    ServerSideEncryption S3 = new S3Managed();

    /** {@code aws:kms} with the given key id or ARN, or the account's default KMS key when {@code keyId} is null. */
    static ServerSideEncryption kms(String keyId) {
        return new Kms(keyId);
    }

    record None() implements ServerSideEncryption {
        @Override
        public String toString() {
            return "none";
        }
    }

    record S3Managed() implements ServerSideEncryption {
        @Override
        public String toString() {
            return "SSE-S3";
        }
    }

    record Kms(String keyId) implements ServerSideEncryption {
        public Kms {
            if (keyId != null && keyId.isBlank()) {
                throw new IllegalArgumentException("sse: the KMS key id must not be blank (omit it for the account's default key)");
            }
        }

        @Override
        public String toString() {
            return "SSE-KMS" + (keyId == null ? "" : " (key " + keyId + ")");
        }
    }

    static ServerSideEncryption requireNonNull(ServerSideEncryption sse) {
        return Objects.requireNonNull(sse, "sse");
    }
}
