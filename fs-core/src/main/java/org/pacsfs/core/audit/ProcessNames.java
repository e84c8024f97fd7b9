package org.pacsfs.core.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who a FUSE request's pid is. The kernel passes the id of the calling <em>thread</em>; {@code /proc/TID/status} gives
 * its process (Tgid) and the process name (at most 15 characters). Read while the request is served (the process may be
 * gone by the time a segment is written) and remembered for a second, so that a process opening thousands of files
 * reads it about once a second. Unknown (pid 0, no /proc, the thread ended): the thread id as given and name "".
 */
final class ProcessNames {
    private static final long TTL_NS = 1_000_000_000L;
    private static final int MAX_ENTRIES = 4096;

    /** The process a thread belongs to. */
    record Proc(long pid, String name) {
    }

    private record Entry(Proc proc, long expiresNs) {
    }

    private final ConcurrentHashMap<Long, Entry> cache = new ConcurrentHashMap<>();
    private final Path proc;

    ProcessNames(Path proc) {
        this.proc = proc;
    }

    Proc of(long tid) {
        if (tid <= 0) {
            return new Proc(tid, "");
        }
        long now = System.nanoTime();
        Entry e = cache.get(tid);
        if (e != null && now - e.expiresNs < 0) {
            return e.proc;
        }
        Proc p = read(tid);
        if (cache.size() >= MAX_ENTRIES) {
            cache.clear(); // ids are reused: a crude bound is enough, the entries live for a second anyway
        }
        cache.put(tid, new Entry(p, now + TTL_NS));
        return p;
    }

    private Proc read(long tid) {
        String name = "";
        long pid = tid;
        try {
            String status = new String(Files.readAllBytes(proc.resolve(Long.toString(tid)).resolve("status")), StandardCharsets.UTF_8);
            for (String line : status.split("\n")) {
                if (line.startsWith("Name:")) {
                    name = line.substring(5).strip();
                } else if (line.startsWith("Tgid:")) {
                    pid = Long.parseLong(line.substring(5).strip());
                    break; // Tgid comes after Name
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or no /proc: keep what the request said
        }
        return new Proc(pid, name);
    }
}
