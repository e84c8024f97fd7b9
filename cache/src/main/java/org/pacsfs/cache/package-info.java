/**
 * The chunk cache (issue 6): a Caffeine memory tier weighed in bytes ({@link MemoryTier}), a bounded disk tier of
 * checksummed block files ({@link DiskTier}, format in docs/FORMAT.md "Chunk cache blocks"), and a tiered lookup
 * with single-flight loading ({@link TieredChunkCache}). The module knows nothing of chunk formats or object stores:
 * the caller supplies a {@link ChunkLoader} that fetches a chunk's stored bytes and verifies and decodes them.
 */
package org.pacsfs.cache;
