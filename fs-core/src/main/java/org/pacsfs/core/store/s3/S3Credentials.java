package org.pacsfs.core.store.s3;

import java.util.Objects;

/**
 * Where {@link S3ObjectStore} gets its credentials. {@code toString} never shows a secret.
 */
public sealed interface S3Credentials {

    /** The SDK's default chain: environment, system properties, profile files, web identity, container and instance roles. */
    static S3Credentials defaultChain() {
        return DefaultChain.INSTANCE;
    }

    /** A fixed access key id and secret (S3Proxy, MinIO, on-premises servers). */
    static S3Credentials of(String accessKeyId, String secretAccessKey) {
        return new Static(accessKeyId, secretAccessKey);
    }

    /** The SDK's default credentials chain. */
    enum DefaultChain implements S3Credentials {
        INSTANCE;

        @Override
        public String toString() {
            return "default credentials chain";
        }
    }

    /** Explicit keys. */
    record Static(String accessKeyId, String secretAccessKey) implements S3Credentials {
        public Static {
            Objects.requireNonNull(accessKeyId, "accessKeyId");
            Objects.requireNonNull(secretAccessKey, "secretAccessKey");
            if (accessKeyId.isBlank()) {
                throw new IllegalArgumentException("credentials: the access key id must not be blank");
            }
            if (secretAccessKey.isEmpty()) {
                throw new IllegalArgumentException("credentials: the secret access key must not be empty");
            }
        }

        @Override
        public String toString() {
            // The access key id identifies the account in logs and is not a secret; the secret never appears.
            return "static credentials (access key id " + accessKeyId + ", secret ****)";
        }
    }
}
