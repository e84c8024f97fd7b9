package org.pacsfs.core.fs;

import java.util.concurrent.atomic.LongAdder;

/**
 * Lets the checkpointer stop changes for a moment: every change passes {@link #enter()}/{@link #exit()} (a
 * contention-free counter, no lock shared by writers); {@link #close(long)} waits until no change is in flight and
 * holds new ones back until {@link #open()}. Used for a few milliseconds at a time: while a checkpoint copies the
 * values of the keys changed since the previous one ({@link CheckpointCapture}).
 */
final class Gate {
    private final LongAdder inflight = new LongAdder();
    private final Object monitor = new Object();
    private volatile boolean closed;

    void enter() {
        while (true) {
            if (closed) {
                awaitOpen();
            }
            inflight.increment();
            if (!closed) {
                return;
            }
            exit();
        }
    }

    void exit() {
        inflight.decrement();
        if (closed) {
            synchronized (monitor) {
                monitor.notifyAll();
            }
        }
    }

    /** Closes the gate; returns false (and reopens) if changes in flight did not finish within the timeout. */
    boolean close(long timeoutMillis) {
        closed = true;
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (monitor) {
            while (inflight.sum() != 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    open();
                    return false;
                }
                try {
                    monitor.wait(Math.min(left, 5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    open();
                    return false;
                }
            }
        }
        return true;
    }

    void open() {
        closed = false;
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    private void awaitOpen() {
        synchronized (monitor) {
            while (closed) {
                try {
                    monitor.wait(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
