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

    /**
     * S3Proxy 4.1.0's filesystem backend checks If-Match and then writes, not atomically: 4 threads
     * doing 10 compare-and-set increments each ended at 21..29 instead of 40. Lease tests against
     * it cannot show races; see docs/OBJECT-STORE.md.
     */
    @Override
    protected boolean atomicIfMatch() {
        return false;
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
