package org.pacsfs.core.lease;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The content of the lease object: who holds the filesystem, since when, and until when it will
 * renew. Encoded by {@link LeaseCodec} (format in docs/FORMAT.md, section "lease").
 *
 * @param ownerId    random per mount ({@link UUID#randomUUID()}, canonical lower-case form): a new
 *                   mount is always a new owner, even on the same host
 * @param host       the host name of the holder, for messages (printable, no control characters)
 * @param epoch      1 for the first holder, +1 at every acquisition after that (takeover, or a
 *                   new mount after a clean release)
 * @param acquiredAt when this owner acquired the lease (holder's clock)
 * @param expiresAt  until when the holder promises to renew (holder's clock); for a released lease,
 *                   the time of release
 * @param state      {@link State#HELD} while a mount holds it, {@link State#RELEASED} after a clean unmount
 */
public record LeaseRecord(String ownerId, String host, long epoch, Instant acquiredAt, Instant expiresAt,
        State state) {

    /** Longest host name accepted (DNS allows 253). */
    public static final int MAX_HOST_LENGTH = 255;

    /** Whether the lease is in force or was given back by a clean unmount. */
    public enum State {
        HELD("held"),
        RELEASED("released");

        private final String token;

        State(String token) {
            this.token = token;
        }

        /** The word used in the encoded form. */
        public String token() {
            return token;
        }
    }

    public LeaseRecord {
        requireOwnerId(ownerId);
        requireHost(host);
        if (epoch < 1) {
            throw new IllegalArgumentException("lease epoch must be >= 1, got " + epoch);
        }
        Objects.requireNonNull(acquiredAt, "acquiredAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(state, "state");
    }

    /** Whether a lease in force has passed its expiry at {@code now}. A released lease is never "expired". */
    public boolean isExpiredAt(Instant now) {
        return state == State.HELD && !now.isBefore(expiresAt);
    }

    /** This record renewed until {@code newExpiry}. */
    public LeaseRecord withExpiresAt(Instant newExpiry) {
        return new LeaseRecord(ownerId, host, epoch, acquiredAt, newExpiry, state);
    }

    /** This record given back at {@code now}. */
    public LeaseRecord released(Instant now) {
        return new LeaseRecord(ownerId, host, epoch, acquiredAt, now, State.RELEASED);
    }

    /** Whether {@code other} was written by the same mount (same owner id and epoch). */
    public boolean sameHolder(LeaseRecord other) {
        return ownerId.equals(other.ownerId) && epoch == other.epoch;
    }

    /** "host {@code h} (owner {@code o}, epoch {@code e})", for messages. */
    public String describeHolder() {
        return "host " + host + " (owner " + ownerId + ", epoch " + epoch + ")";
    }

    static void requireOwnerId(String ownerId) {
        Objects.requireNonNull(ownerId, "ownerId");
        boolean canonical;
        try {
            canonical = UUID.fromString(ownerId).toString().equals(ownerId);
        } catch (IllegalArgumentException e) {
            canonical = false;
        }
        if (!canonical) {
            throw new IllegalArgumentException("lease owner id must be a UUID in canonical lower-case form, got '"
                    + ownerId + "'");
        }
    }

    static void requireHost(String host) {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty() || host.length() > MAX_HOST_LENGTH) {
            throw new IllegalArgumentException("lease host name must have 1.." + MAX_HOST_LENGTH
                    + " characters, got " + host.length());
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isISOControl(c) || Character.isSurrogate(c)) {
                throw new IllegalArgumentException("lease host name must not contain control characters "
                        + "or characters outside the Basic Multilingual Plane, got one at index " + i);
            }
        }
    }
}
