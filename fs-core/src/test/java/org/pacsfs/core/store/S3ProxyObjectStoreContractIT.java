package org.pacsfs.core.store;

import org.junit.jupiter.api.BeforeEach;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/** The contract against a real S3Proxy process, a fresh bucket per test. */
@WithS3Proxy
class S3ProxyObjectStoreContractIT extends S3ServerContract {

    private S3TestBucket bucket;

    @BeforeEach
    void bucket(S3TestBucket bucket) {
        this.bucket = bucket;
    }

    @Override
    protected boolean listsSupplementaryCharactersInUtf8Order() {
        return false; // jclouds' filesystem backend sorts keys as Java strings
    }

    @Override
    protected S3Config.Builder config() {
        return bucket.config();
    }
}
