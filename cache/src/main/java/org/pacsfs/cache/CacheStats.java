package org.pacsfs.cache;

/**
 * A snapshot of a {@link ChunkCache}'s counters (since it was opened) and sizes.
 *
 * @param memoryHits        requests served from the memory tier (including waits for a load already in flight)
 * @param diskHits          loads served by a verified disk block
 * @param originLoads       loads that went to the origin (GETs)
 * @param prefetches        background loads started by read-ahead
 * @param corruptBlocks     disk blocks that failed verification (removed, then fetched again)
 * @param diskWritesSkipped blocks not written to disk: the write queue was full or the disk too full
 * @param memoryBytes       weight of the memory tier now
 * @param diskBytes         bytes of the disk tier's blocks now
 * @param diskBlocks        number of disk blocks now
 */
public record CacheStats(long memoryHits, long diskHits, long originLoads, long prefetches, long corruptBlocks,
                         long diskWritesSkipped, long memoryBytes, long diskBytes, long diskBlocks) {
}
