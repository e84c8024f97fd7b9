package org.pacsfs.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The artifacts of this module's build (failsafe runs after package) and fresh work directories under target/. */
final class Build {

    static final Path TARGET = Path.of("target").toAbsolutePath();

    private Build() {
    }

    static Path artifact(String glob) throws IOException {
        try (Stream<Path> s = Files.list(TARGET)) {
            return s.filter(p -> TARGET.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName())).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + glob + " in " + TARGET + "; run mvn package first"));
        }
    }

    /** An empty directory target/NAME (removed first if a previous run left it). */
    static Path freshDirectory(String name) throws Exception {
        Path dir = TARGET.resolve(name);
        Sh.ok(TARGET, "rm -rf " + Sh.q(dir) + " && mkdir -p " + Sh.q(dir));
        return dir;
    }
}
