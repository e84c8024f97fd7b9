package org.pacsfs.core.store;

/** The request types S3 bills and {@link InMemoryObjectStore} counts. */
public enum StoreOperation {
    PUT,
    GET,
    HEAD,
    LIST,
    /** One single-key delete request. */
    DELETE,
    /** One batch delete request (up to {@value ObjectStore#MAX_KEYS_PER_REQUEST} keys). */
    DELETE_BATCH
}
