package org.pacsfs.core.fs;

/**
 * What statfs returns. Blocks are {@link #blockSize()} bytes. Total is the configured capacity; free and available
 * are capacity minus the bytes stored (the sum of regular file sizes). Files is the index capacity.
 */
public record StatFs(long blockSize, long totalBlocks, long freeBlocks, long availableBlocks, long totalFiles,
                     long freeFiles, int maxNameLength) {
}
