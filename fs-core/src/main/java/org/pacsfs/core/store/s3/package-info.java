/**
 * The S3 adapter of the {@link org.pacsfs.core.store.ObjectStore} port, on the AWS SDK for Java v2
 * (sync client). Configuration is the immutable {@link org.pacsfs.core.store.s3.S3Config}; SDK
 * exceptions become {@link org.pacsfs.core.store.ObjectStoreException}s in exactly one place,
 * {@link org.pacsfs.core.store.s3.S3ErrorMapper}.
 */
package org.pacsfs.core.store.s3;
