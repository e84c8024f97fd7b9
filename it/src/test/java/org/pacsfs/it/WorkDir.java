package org.pacsfs.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** A fresh working directory per test under target/it-work (a rerun must not meet the state of an earlier run). */
final class WorkDir {

    private WorkDir() {
    }

    static Path fresh(String name) throws Exception {
        Path dir = Path.of("target", "it-work", name).toAbsolutePath();
        if (Files.exists(dir)) {
            // Unmount whatever an aborted run left mounted below it, then delete.
            Sh.ok(dir.getParent(), "grep -F ' " + dir + "/' /proc/self/mountinfo | cut -d' ' -f5 | xargs -r -n1 fusermount -u -z; rm -rf '" + dir + "'");
        }
        return Files.createDirectories(dir);
    }
}
