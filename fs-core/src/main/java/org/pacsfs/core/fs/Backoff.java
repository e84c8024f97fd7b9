package org.pacsfs.core.fs;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with full jitter, capped: attempt n waits a random time in [d/2, d], d = min(cap, base * 2^n). */
final class Backoff {
    private final long baseNanos;
    private final long capNanos;
    private int attempt;

    Backoff(Duration base, Duration cap) {
        this.baseNanos = base.toNanos();
        this.capNanos = cap.toNanos();
    }

    long nextDelayNanos() {
        long d = Math.min(capNanos, baseNanos << Math.min(attempt++, 30));
        return d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);
    }

    void reset() {
        attempt = 0;
    }

    int attempts() {
        return attempt;
    }
}
