package org.pacsfs.core.fs;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shipping runs at a lower CPU priority (a higher nice value) than the application's requests, as RocksDB lowers
 * its compaction threads: on a small machine, chunking, hashing and uploading compete for the same cores as the
 * FUSE threads that answer the archive's writes, and those writes are already durable in the write-log, so they
 * should win. When nothing else wants the CPU a niced thread runs at full speed; under contention CFS gives it a
 * smaller share (nice 10 weighs about a tenth of nice 0), and shipping catches up when the burst ends. The write-log
 * cap bounds how far it can fall behind. Only with {@link ShipConfig.Durability#LOCAL}: in REMOTE mode fsync waits for
 * shipping, so shipping is the application's work and keeps normal priority.
 *
 * <p>Linux keeps the nice value per thread, and {@code setpriority(PRIO_PROCESS, 0, n)} sets the calling thread's
 * (setpriority(2), NOTES), so each thread lowers itself when it starts. Lowering needs no privilege; if the call
 * fails (another OS, a seccomp filter) the thread runs at normal priority and one warning says so.
 */
final class BackgroundPriority {

    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);
    private static final int PRIO_PROCESS = 0;
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /** The libc calls used; jnr-ffi binds them at run time (it is already on the class path for Chronicle Map). */
    public interface LibC {
        int getpriority(int which, int who);

        int setpriority(int which, int who, int prio);
    }

    private static volatile LibC libc;

    private BackgroundPriority() {
    }

    /**
     * A factory of daemon threads named {@code name} that run at nice value {@code nice} (or the process's own, if
     * that is higher already). {@code nice} 0 leaves the priority alone.
     */
    static ThreadFactory daemonThreads(String name, int nice) {
        return r -> {
            Thread t = new Thread(() -> {
                lowerCurrentThread(nice);
                r.run();
            }, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Raises the calling thread's nice value to {@code nice}; returns the nice value it now runs at, or -1 if unknown. */
    static int lowerCurrentThread(int nice) {
        if (nice <= 0) {
            return currentNice();
        }
        try {
            LibC c = libc();
            int now = c.getpriority(PRIO_PROCESS, 0); // -1 is also a valid nice value; only setpriority's result is checked
            if (now >= nice) {
                return now;
            }
            if (c.setpriority(PRIO_PROCESS, 0, nice) != 0) {
                warnOnce("setpriority returned an error");
                return -1;
            }
            return nice;
        } catch (LinkageError | RuntimeException e) {
            warnOnce(e.toString());
            return -1;
        }
    }

    /** The calling thread's nice value, or -1 if it cannot be read. */
    static int currentNice() {
        try {
            return libc().getpriority(PRIO_PROCESS, 0);
        } catch (LinkageError | RuntimeException e) {
            return -1;
        }
    }

    private static LibC libc() {
        LibC c = libc;
        if (c == null) {
            c = LibraryLoader.create(LibC.class).load("c");
            libc = c;
        }
        return c;
    }

    private static void warnOnce(String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("cannot lower the CPU priority of the shipping threads ({}); they run at normal priority", why);
        }
    }
}
