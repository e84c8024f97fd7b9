package org.pacsfs.core.store.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The last lines of a log file, for error messages. */
final class LogTail {
    private LogTail() {}

    static String of(Path log, int maxLines) {
        try {
            if (!Files.exists(log)) {
                return "(no log written: " + log + ")";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> tail = lines.subList(Math.max(0, lines.size() - maxLines), lines.size());
            return tail.isEmpty() ? "(log is empty: " + log + ")" : String.join(System.lineSeparator(), tail);
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
