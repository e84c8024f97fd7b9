/**
 * The object-store port of pacsfs: everything the filesystem needs from S3, behind {@link
 * org.pacsfs.core.store.ObjectStore}.
 *
 * <p>Implementations: {@link org.pacsfs.core.store.s3.S3ObjectStore} (any S3-compatible server),
 * {@link org.pacsfs.core.store.InMemoryObjectStore} (tests, counts requests) and the {@link
 * org.pacsfs.core.store.FaultInjectingObjectStore} decorator (tests, injects failures). Errors are the
 * sealed {@link org.pacsfs.core.store.ObjectStoreException} hierarchy. See {@code docs/OBJECT-STORE.md}.
 */
package org.pacsfs.core.store;
