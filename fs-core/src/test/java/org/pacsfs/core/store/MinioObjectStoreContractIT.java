package org.pacsfs.core.store;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.pacsfs.core.store.s3.S3ClientFactory;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3Credentials;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The contract against MinIO in a container. Where no Docker engine is reachable (as on the
 * project's build machines) JUnit reports the class as skipped because Docker is not available.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioObjectStoreContractIT extends S3ServerContract {

    /** A release with conditional writes (If-None-Match / If-Match on PUT). */
    private static final String IMAGE = "minio/minio:RELEASE.2025-04-22T22-12-26Z";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @Container
    private static final MinIOContainer MINIO = new MinIOContainer(IMAGE);

    private String bucket;

    @BeforeEach
    void createBucket() {
        bucket = "t" + BUCKETS.incrementAndGet();
        try (S3Client admin = S3ClientFactory.create(config().build())) {
            admin.createBucket(b -> b.bucket(bucket));
        }
    }

    @Override
    protected S3Config.Builder config() {
        return S3Config.builder()
                .endpoint(MINIO.getS3URL())
                .region("us-east-1")
                .bucket(bucket == null ? "unused" : bucket)
                .pathStyle(true)
                .credentials(S3Credentials.of(MINIO.getUserName(), MINIO.getPassword()));
    }
}
