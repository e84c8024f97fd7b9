package org.pacsfs.wal;

import java.util.concurrent.locks.LockSupport;

/**
 * The log's one background thread, started only under {@link SyncPolicy#INTERVAL}: forces every
 * {@code intervalNanos}. It only adds forces. (It no longer forces when the unsynced buffer fills: that buffer now
 * drops its oldest bytes instead, see {@link UnsyncedBuffer}.) Thread-safe.
 */
final class BackgroundSyncer implements Runnable {
    /** Without an interval policy the thread still wakes this often, to notice a missed wake-up. */
    private static final long IDLE_PARK_NANOS = 1_000_000_000L;

    private final WriteLog log;
    private final long intervalNanos;
    private final Thread thread;
    private volatile boolean stopped;

    BackgroundSyncer(WriteLog log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.thread = new Thread(this, "pacsfs-wal-sync");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void run() {
        while (!stopped) {
            LockSupport.parkNanos(intervalNanos > 0 ? intervalNanos : IDLE_PARK_NANOS);
            if (!stopped && intervalNanos > 0) {
                log.forceAllQuietly();
            }
        }
    }
}
