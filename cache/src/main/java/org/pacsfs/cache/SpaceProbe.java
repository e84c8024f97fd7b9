package org.pacsfs.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/** Free and total space of the disk that holds the disk tier (tests inject a fake one). */
interface SpaceProbe {
    long usableBytes();

    long totalBytes();

    static SpaceProbe of(Path dir) {
        FileStore store;
        try {
            store = Files.getFileStore(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cache directory " + dir + ": cannot find its file store", e);
        }
        return new SpaceProbe() {
            @Override
            public long usableBytes() {
                try {
                    return store.getUsableSpace();
                } catch (IOException e) {
                    return 0; // unknown free space: write nothing rather than risk filling the disk
                }
            }

            @Override
            public long totalBytes() {
                try {
                    return store.getTotalSpace();
                } catch (IOException e) {
                    return Long.MAX_VALUE;
                }
            }
        };
    }
}
