package org.pacsfs.core.fs;

/**
 * How big the local index is. Chronicle Map preallocates {@code expectedFiles} entries per map and grows by adding
 * tiers up to {@code maxFiles} (its "bloat factor" = maxFiles / expectedFiles, at most 1000). Lookups slow down
 * gradually beyond expectedFiles (measured: about 2.5x slower gets at 30x), never fail.
 *
 * <p>Sizing rule: set expectedFiles to the number of files (and directories) you expect in a year; each map file
 * starts at about 140 bytes x expectedFiles on disk. maxFiles is a hard limit: creating beyond it is ENOSPC.
 */
record IndexSizing(long expectedFiles, long maxFiles) {
    IndexSizing {
        if (expectedFiles < 1000) {
            throw new IllegalArgumentException("index expectedFiles must be >= 1000, was " + expectedFiles);
        }
        if (maxFiles < expectedFiles || maxFiles > expectedFiles * 1000) {
            throw new IllegalArgumentException("index maxFiles must be between expectedFiles (" + expectedFiles
                    + ") and 1000 x expectedFiles, was " + maxFiles);
        }
    }

    double bloatFactor() {
        return Math.max(1.0, (double) maxFiles / expectedFiles);
    }
}
