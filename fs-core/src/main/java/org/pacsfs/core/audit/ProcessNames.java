package org.pacsfs.core.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The name of a process ({@code /proc/PID/comm}, at most 15 characters), read while the request is served (the process
 * may be gone by the time a segment is written) and remembered for a second, so that a process opening thousands of
 * files reads it once per second, not once per file. "" when unknown (pid 0, no /proc, the process ended).
 */
final class ProcessNames {
    private static final long TTL_NS = 1_000_000_000L;
    private static final int MAX_ENTRIES = 4096;

    private record Entry(String name, long expiresNs) {
    }

    private final ConcurrentHashMap<Long, Entry> cache = new ConcurrentHashMap<>();
    private final Path proc;

    ProcessNames(Path proc) {
        this.proc = proc;
    }

    String of(long pid) {
        if (pid <= 0) {
            return "";
        }
        long now = System.nanoTime();
        Entry e = cache.get(pid);
        if (e != null && now - e.expiresNs < 0) {
            return e.name;
        }
        String name = read(pid);
        if (cache.size() >= MAX_ENTRIES) {
            cache.clear(); // pids are reused: a crude bound is enough, the entries live for a second anyway
        }
        cache.put(pid, new Entry(name, now + TTL_NS));
        return name;
    }

    private String read(long pid) {
        try {
            return new String(Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("comm")), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
