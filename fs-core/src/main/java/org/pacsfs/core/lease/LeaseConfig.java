package org.pacsfs.core.lease;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/**
 * Timing of the single-writer lease. Every value is checked when the record is made; a bad value
 * fails with a message naming the option and its allowed range.
 *
 * @param leaseDuration       how long a renewal keeps the lease valid as seen by others (default 60 s,
 *                            1 s .. 1 h). Others only use it to word their refusal: an expired lease
 *                            is still not taken over without an explicit takeover.
 * @param renewInterval       time between renewals (default 10 s); at least 10 ms and less than half
 *                            of {@code leaseDuration}, so that one failed renewal does not let it expire
 * @param retryInterval       delay before retrying after a transient error or an outage (default 2 s,
 *                            1 ms .. {@code renewInterval}); also the pause between attempts of
 *                            acquire and release
 * @param permanentErrorRetryInterval delay before retrying after a permanent error such as access
 *                            denied (default 60 s, {@code renewInterval} .. 1 h): slower, but never
 *                            given up, since giving up would not make the lease anyone else's
 * @param attempts            how many times acquire and release try when the store fails
 *                            transiently (default 5, 1 .. 100); renewal retries without limit
 * @param hostName            this host's name, written into the lease for messages (default: the
 *                            local host name); 1 .. 255 characters, no control characters
 */
public record LeaseConfig(Duration leaseDuration, Duration renewInterval, Duration retryInterval,
        Duration permanentErrorRetryInterval, int attempts, String hostName) {

    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(60);
    public static final Duration DEFAULT_RENEW_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofSeconds(2);
    public static final Duration DEFAULT_PERMANENT_ERROR_RETRY_INTERVAL = Duration.ofSeconds(60);
    public static final int DEFAULT_ATTEMPTS = 5;

    static final Duration MIN_LEASE_DURATION = Duration.ofSeconds(1);
    static final Duration MAX_DURATION = Duration.ofHours(1);
    static final Duration MIN_RENEW_INTERVAL = Duration.ofMillis(10);
    static final Duration MIN_RETRY_INTERVAL = Duration.ofMillis(1);

    public LeaseConfig {
        Objects.requireNonNull(leaseDuration, "leaseDuration");
        Objects.requireNonNull(renewInterval, "renewInterval");
        Objects.requireNonNull(retryInterval, "retryInterval");
        Objects.requireNonNull(permanentErrorRetryInterval, "permanentErrorRetryInterval");
        Objects.requireNonNull(hostName, "hostName");
        requireBetween("leaseDuration", leaseDuration, MIN_LEASE_DURATION, MAX_DURATION);
        if (renewInterval.compareTo(MIN_RENEW_INTERVAL) < 0
                || renewInterval.multipliedBy(2).compareTo(leaseDuration) >= 0) {
            throw new IllegalArgumentException("renewInterval must be at least " + human(MIN_RENEW_INTERVAL)
                    + " and less than half of leaseDuration (" + human(leaseDuration) + "), got "
                    + human(renewInterval));
        }
        requireBetween("retryInterval", retryInterval, MIN_RETRY_INTERVAL, renewInterval);
        requireBetween("permanentErrorRetryInterval", permanentErrorRetryInterval, renewInterval, MAX_DURATION);
        if (attempts < 1 || attempts > 100) {
            throw new IllegalArgumentException("attempts must be in 1..100, got " + attempts);
        }
        try {
            LeaseRecord.requireHost(hostName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("hostName: " + e.getMessage(), e);
        }
    }

    /** The defaults, with the local host name. */
    public static LeaseConfig defaults() {
        return new LeaseConfig(DEFAULT_LEASE_DURATION, DEFAULT_RENEW_INTERVAL, DEFAULT_RETRY_INTERVAL,
                DEFAULT_PERMANENT_ERROR_RETRY_INTERVAL, DEFAULT_ATTEMPTS, localHostName());
    }

    public LeaseConfig withLeaseDuration(Duration d) {
        return new LeaseConfig(d, renewInterval, retryInterval, permanentErrorRetryInterval, attempts, hostName);
    }

    public LeaseConfig withRenewInterval(Duration d) {
        return new LeaseConfig(leaseDuration, d, retryInterval, permanentErrorRetryInterval, attempts, hostName);
    }

    public LeaseConfig withRetryInterval(Duration d) {
        return new LeaseConfig(leaseDuration, renewInterval, d, permanentErrorRetryInterval, attempts, hostName);
    }

    public LeaseConfig withPermanentErrorRetryInterval(Duration d) {
        return new LeaseConfig(leaseDuration, renewInterval, retryInterval, d, attempts, hostName);
    }

    public LeaseConfig withAttempts(int n) {
        return new LeaseConfig(leaseDuration, renewInterval, retryInterval, permanentErrorRetryInterval, n, hostName);
    }

    public LeaseConfig withHostName(String name) {
        return new LeaseConfig(leaseDuration, renewInterval, retryInterval, permanentErrorRetryInterval, attempts, name);
    }

    /**
     * Timings scaled down together (lease 60 s -> {@code leaseDuration}, keeping the default ratios),
     * e.g. for tests against a real server.
     */
    public LeaseConfig withTimingsScaledTo(Duration newLeaseDuration) {
        Duration renew = Duration.ofMillis(newLeaseDuration.toMillis() / 6);
        Duration retry = Duration.ofMillis(Math.max(1, renew.toMillis() / 5));
        return new LeaseConfig(newLeaseDuration, renew, retry, newLeaseDuration, attempts, hostName);
    }

    /** The name of this host as the OS knows it, or {@code $HOSTNAME}, or {@code unknown-host}. */
    static String localHostName() {
        String name = null;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException | SecurityException e) {
            // fall through
        }
        if (name == null || name.isBlank()) {
            name = System.getenv("HOSTNAME");
        }
        if (name == null || name.isBlank()) {
            return "unknown-host";
        }
        name = name.strip();
        try {
            LeaseRecord.requireHost(name);
            return name;
        } catch (IllegalArgumentException e) {
            return "unknown-host";
        }
    }

    private static void requireBetween(String option, Duration value, Duration min, Duration max) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(option + " must be between " + human(min) + " and " + human(max)
                    + ", got " + human(value));
        }
    }

    /** {@code 60 s}, {@code 250 ms}, {@code 5 min}, {@code 1 h}: readable durations for messages. */
    static String human(Duration d) {
        if (d.isNegative()) {
            return "-" + human(d.negated());
        }
        if (d.getSeconds() > 1_000_000_000L || d.toNanosPart() % 1_000_000 != 0) {
            return d.toString();
        }
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms != 0) {
            return ms / 3_600_000 + " h";
        }
        if (ms % 60_000 == 0 && ms >= 120_000) {
            return ms / 60_000 + " min";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + " s";
        }
        return ms + " ms";
    }
}
