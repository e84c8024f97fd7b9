package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Local directories of pacsfs hold patient data: created with mode 0700. */
final class Directories {

    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private Directories() {
    }

    /** Creates {@code dir} and missing parents with mode 0700 (existing directories are left as they are). */
    static Path createPrivate(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                createPrivate(parent);
            }
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE));
            Files.setPosixFilePermissions(dir, PRIVATE); // the umask may have narrowed or widened it
        }
        return dir;
    }

    static void deleteRecursively(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // Temporary state of a read-only view: leaving it behind costs disk space, nothing else.
        }
    }
}
