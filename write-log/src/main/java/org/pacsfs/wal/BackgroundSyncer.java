package org.pacsfs.wal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The log's one background thread: forces every {@code intervalNanos} under {@link SyncPolicy#INTERVAL}, and
 * whenever an append finds the unsynced buffer more than half full, so that appends rarely wait for a force when it
 * fills. It only adds forces. Thread-safe.
 */
final class BackgroundSyncer implements Runnable {
    /** Without an interval policy the thread still wakes this often, to notice a missed wake-up. */
    private static final long IDLE_PARK_NANOS = 1_000_000_000L;

    private final WriteLog log;
    private final long intervalNanos;
    private final AtomicBoolean forceRequested = new AtomicBoolean();
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

    /** Asks for a force soon; cheap when one is already requested. */
    void requestForce() {
        if (!forceRequested.getAndSet(true)) {
            LockSupport.unpark(thread);
        }
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
            boolean requested = forceRequested.getAndSet(false);
            if (!stopped && (requested || intervalNanos > 0)) {
                log.forceAllQuietly();
            }
        }
    }
}
