package org.pacsfs.core.store.s3;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The S3 Object Lock retention a store gives the objects it writes: {@code x-amz-object-lock-mode} and
 * {@code x-amz-object-lock-retain-until-date} = the time of the PUT + {@code retention}, on every PUT whose key
 * {@code locked} accepts (immutable objects only: never the lease, which is rewritten). Only for a bucket with Object
 * Lock enabled: other buckets refuse such PUTs.
 *
 * @param mode      COMPLIANCE (nobody, not even the account's root user, can delete or shorten it) or GOVERNANCE (users
 *                  with s3:BypassGovernanceRetention can)
 * @param retention how long after its upload an object stays locked (at least 1 s)
 * @param clock     the time of the PUT; the server enforces the date with its own clock
 * @param locked    which store keys get the retention
 */
public record ObjectLockRetention(Mode mode, Duration retention, Clock clock, Predicate<String> locked) {

    /** S3's two retention modes. */
    public enum Mode { COMPLIANCE, GOVERNANCE }

    public ObjectLockRetention {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(locked, "locked");
        if (retention == null || retention.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("an Object Lock retention must be at least 1 s, got " + retention);
        }
    }

    /** The retain-until date for an object written now, or null if {@code key} is not locked. */
    public Instant retainUntil(String key) {
        return locked.test(key) ? clock.instant().plus(retention) : null;
    }
}
