/**
 * The layout and formats of what pacsfs keeps in the bucket: object keys ({@link
 * org.pacsfs.core.bucket.BucketKeys}), chunk identifiers ({@link org.pacsfs.core.bucket.ChunkId}),
 * the chunk object format and its reference in the metadata log ({@link
 * org.pacsfs.core.bucket.ChunkCodec}, {@link org.pacsfs.core.bucket.ChunkRef}) and the superblock
 * {@code pacsfs.json} ({@link org.pacsfs.core.bucket.Superblock}). The byte-level formats are
 * documented in {@code docs/FORMAT.md}, section "What lives in the bucket".
 */
package org.pacsfs.core.bucket;
