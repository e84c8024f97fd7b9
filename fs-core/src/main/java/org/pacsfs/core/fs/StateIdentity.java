package org.pacsfs.core.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The file {@code identity} in the state directory: which filesystem (fs id from the superblock) this directory
 * belongs to, and the id of its write-log (named in every metadata log segment it ships). Two lines of text, written
 * once (tmp + fsync + rename). A state directory of another filesystem is refused, not reused.
 */
record StateIdentity(UUID fsId, UUID walId) {
    static final String FILE = "identity";

    static StateIdentity loadOrCreate(Path stateDir, UUID fsId) throws IOException {
        Path f = stateDir.resolve(FILE);
        if (Files.exists(f)) {
            String[] lines = Files.readString(f, StandardCharsets.UTF_8).split("\n");
            if (lines.length < 2 || !lines[0].startsWith("fs=") || !lines[1].startsWith("wal=")) {
                throw new IOException(f + " is damaged; expected 'fs=<uuid>' and 'wal=<uuid>' lines");
            }
            StateIdentity id = new StateIdentity(UUID.fromString(lines[0].substring(3)), UUID.fromString(lines[1].substring(4)));
            if (!id.fsId.equals(fsId)) {
                throw new IOException("state directory " + stateDir + " belongs to filesystem " + id.fsId
                        + ", but the bucket holds filesystem " + fsId + "; use an empty state directory for this one");
            }
            return id;
        }
        Files.createDirectories(stateDir);
        StateIdentity id = new StateIdentity(fsId, UUID.randomUUID());
        Path tmp = stateDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, "fs=" + fsId + "\nwal=" + id.walId + "\n", StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        CleanMarker.forceDirectory(stateDir);
        return id;
    }
}
