package org.pacsfs.core.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-writer lease of one filesystem: one object in the bucket, moved only by conditional
 * puts (create with {@code If-None-Match: *}, renew, take over and release with {@code If-Match} on
 * the ETag last seen). See docs/DECISIONS.md ("Lease") for the rules and their reasons.
 *
 * <ul>
 *   <li>{@link #acquire} creates the lease, or takes over a released one; a lease held by another
 *       mount is refused with a {@link LeaseHeldException} naming the holder and its expiry, whether
 *       or not it has expired, unless the caller asks to take over.
 *   <li>A background task renews it every {@link LeaseConfig#renewInterval()}. Store failures
 *       (outages, throttling, even access denied) never lose the lease: nobody else may take it
 *       without an explicit takeover, so it stays ours and renewal keeps trying.
 *   <li>It is {@link State#LOST lost} only when a renewal finds that the object is no longer ours: a
 *       412 (or 404) after which the object is another owner's, unreadable, or gone. Then the lost
 *       listeners run once and {@link #checkHeld()} throws {@link LeaseLostException}.
 *   <li>{@link #release()} marks the object released (If-Match), so the next mount takes it
 *       without a takeover and with the next epoch.
 * </ul>
 *
 * <p>Thread-safe. Listeners run on the renewal thread (or on the thread that adds a listener after
 * the loss) and must not block for long.
 */
public final class Lease implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Lease.class);
    /** Renewal failures logged at WARN: the first, then every this many. */
    private static final int WARN_EVERY = 10;
    /** Bound on consecutive compare-and-set conflicts in one acquire, release or renewal. */
    private static final int MAX_CONFLICTS = 10;

    /** Where a lease stands from this mount's point of view. */
    public enum State {
        /** Ours: writing is allowed (also while renewals fail because the store is unreachable). */
        HELD,
        /** Someone took it over or deleted it: stop writing. Final. */
        LOST,
        /** Given back by {@link #release()} (or its release was attempted). Final. */
        RELEASED
    }

    private final ObjectStore store;
    private final String key;
    private final String where;
    private final LeaseConfig config;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Object lock = new Object();

    // Guarded by lock.
    private LeaseRecord record;
    private String etag;
    private Instant lastRenewal;
    private int consecutiveFailures;
    private String lastFailure;
    private boolean warnedExpired;
    private ScheduledFuture<?> nextRenewal;
    private String lostReason;
    private final List<Consumer<? super LeaseLostException>> listeners = new ArrayList<>();
    private volatile State state = State.HELD;

    private Lease(ObjectStore store, String key, LeaseConfig config, Clock clock, ScheduledExecutorService scheduler,
            boolean ownsScheduler, LeaseRecord record, String etag) {
        this.store = store;
        this.key = key;
        this.where = where(store, key);
        this.config = config;
        this.clock = clock;
        this.scheduler = scheduler;
        this.ownsScheduler = ownsScheduler;
        this.record = record;
        this.etag = etag;
        this.lastRenewal = record.acquiredAt();
    }

    /**
     * Acquires the lease under {@code key} with the system clock and a renewal thread of its own.
     *
     * @see #acquire(ObjectStore, String, LeaseConfig, boolean, Clock, ScheduledExecutorService)
     */
    public static Lease acquire(ObjectStore store, String key, LeaseConfig config, boolean takeOver) {
        return acquire(store, key, config, takeOver, Clock.systemUTC(), null);
    }

    /**
     * Acquires the lease under {@code key} for a new owner (a random id: every mount is a new owner).
     *
     * <ul>
     *   <li>absent, or released by a clean unmount: created (If-None-Match) or replaced (If-Match), epoch + 1;
     *   <li>held by another mount, expired or not: {@link LeaseHeldException}, unless {@code takeOver},
     *       in which case it is replaced with If-Match on the ETag read and epoch + 1 (logged at WARN
     *       when expired, at ERROR when not: the holder is probably alive and will find the lease lost
     *       at its next renewal);
     *   <li>unreadable: {@link LeaseCorruptException}, unless {@code takeOver} (then replaced, the epoch
     *       continued from a surviving {@code epoch=} line if any).
     * </ul>
     *
     * If another mount wins a race for the object while we acquire it, we are refused even with
     * {@code takeOver}: the operator's decision was about the holder they saw, not the newcomer.
     * Transient store failures are retried {@link LeaseConfig#attempts()} times, {@link
     * LeaseConfig#retryInterval()} apart, then thrown; permanent ones are thrown at once.
     *
     * @param clock     time written into the lease and used for expiry decisions
     * @param scheduler runs the renewals; {@code null} for a daemon thread owned (and shut down) by the lease.
     *                  A given scheduler is not shut down by the lease.
     * @throws LeaseHeldException    if another mount holds the lease
     * @throws LeaseCorruptException if the lease object is unreadable and {@code takeOver} is false
     * @throws ObjectStoreException  if the store fails (permanently, or transiently too many times)
     */
    public static Lease acquire(ObjectStore store, String key, LeaseConfig config, boolean takeOver, Clock clock,
            ScheduledExecutorService scheduler) {
        return acquire(store, key, config, takeOver, clock, scheduler, UUID.randomUUID());
    }

    /**
     * As {@link #acquire(ObjectStore, String, LeaseConfig, boolean, Clock, ScheduledExecutorService)} with a given
     * owner id. A filesystem passes the id of its state directory (its write-log), stable across restarts: a lease
     * still held under that id by the same host is the previous incarnation of this very mount (it crashed and could
     * not release), whose unshipped changes are in this state directory, so it is reclaimed without --take-over. Two
     * processes cannot use one state directory at once (the write-log's lock), and a copy of it on another host does
     * not match the host name.
     */
    public static Lease acquire(ObjectStore store, String key, LeaseConfig config, boolean takeOver, Clock clock,
            ScheduledExecutorService scheduler, UUID owner) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(clock, "clock");
        String ownerId = owner.toString();
        String where = where(store, key);
        int transientFailures = 0;
        int conflicts = 0;
        boolean lostRace = false;
        while (true) {
            try {
                Current current = Current.read(store, key, where);
                Instant now = now(clock);
                Instant expiry = now.plus(config.leaseDuration());
                PutCondition condition;
                LeaseRecord mine;
                if (current == null) {
                    mine = new LeaseRecord(ownerId, config.hostName(), 1, now, expiry, LeaseRecord.State.HELD);
                    condition = PutCondition.ifNoneMatch();
                } else if (current.corrupt != null) {
                    if (!takeOver || lostRace) {
                        throw current.corrupt.withAdvice(lostRace
                                ? "it was rewritten while this mount was acquiring the lease"
                                : "if no other pacsfs mount of this filesystem is running, mount with --take-over to "
                                        + "replace it");
                    }
                    long epoch = LeaseCodec.salvageEpoch(current.bytes) + 1;
                    LOG.warn("replacing the unreadable lease object {} at the operator's request (--take-over), "
                            + "epoch {}: {}", where, epoch, current.corrupt.reason());
                    mine = new LeaseRecord(ownerId, config.hostName(), epoch, now, expiry, LeaseRecord.State.HELD);
                    condition = PutCondition.ifMatch(current.etag);
                } else {
                    LeaseRecord theirs = current.record;
                    if (theirs.ownerId().equals(ownerId) && theirs.host().equals(config.hostName())
                            && theirs.state() == LeaseRecord.State.HELD) {
                        // Our own put was applied although its response was lost, or this state directory's previous
                        // mount on this host died holding it: either way it is ours.
                        LOG.info("lease {} is held by this state directory's previous mount on {} (epoch {}): reclaimed",
                                where, theirs.host(), theirs.epoch());
                        return start(store, key, config, clock, scheduler, theirs, current.etag);
                    }
                    if (theirs.state() == LeaseRecord.State.HELD) {
                        boolean expired = theirs.isExpiredAt(now);
                        if (lostRace) {
                            throw new LeaseHeldException(heldMessage(where, theirs, config.hostName(), now, expired)
                                    + " It was taken by that mount while this one was acquiring it.", theirs, expired);
                        }
                        if (!takeOver) {
                            throw new LeaseHeldException(heldMessage(where, theirs, config.hostName(), now, expired)
                                    + advice(expired), theirs, expired);
                        }
                        if (expired) {
                            LOG.warn("TAKING OVER the expired lease {} from {} (expired at {}) at the operator's "
                                    + "request (--take-over); its unshipped writes, if any, stay on that host",
                                    where, theirs.describeHolder(), theirs.expiresAt());
                        } else {
                            LOG.error("TAKING OVER the UNEXPIRED lease {} from {}, valid until {}, at the operator's "
                                    + "request (--take-over): that mount is probably still running; it will find "
                                    + "its lease lost at its next renewal and stop writing", where,
                                    theirs.describeHolder(), theirs.expiresAt());
                        }
                    } else {
                        LOG.debug("lease {} was released by {}; taking it", where, theirs.describeHolder());
                    }
                    mine = new LeaseRecord(ownerId, config.hostName(), Math.addExact(theirs.epoch(), 1), now, expiry,
                            LeaseRecord.State.HELD);
                    condition = PutCondition.ifMatch(current.etag);
                }
                String newEtag = store.put(key, LeaseCodec.encode(mine), condition);
                return start(store, key, config, clock, scheduler, mine, newEtag);
            } catch (ObjectStoreException.PreconditionFailed e) {
                // Someone else changed the object between our read and our put (or our own earlier put,
                // whose response was lost, did). Read again and decide again.
                lostRace = true;
                if (++conflicts > MAX_CONFLICTS) {
                    throw e;
                }
            } catch (ObjectStoreException.Transient e) {
                if (++transientFailures >= config.attempts()) {
                    throw e;
                }
                LOG.warn("acquiring lease {}: attempt {} of {} failed, retrying in {}: {}", where, transientFailures,
                        config.attempts(), LeaseConfig.human(config.retryInterval()), e.getMessage());
                sleep(config.retryInterval(), e);
            }
        }
    }

    /**
     * The lease under {@code key} as stored now, or {@code null} if there is none; for status commands.
     *
     * @throws LeaseCorruptException if it is unreadable
     */
    public static LeaseRecord read(ObjectStore store, String key) {
        Current current = Current.read(store, key, where(store, key));
        if (current == null) {
            return null;
        }
        if (current.corrupt != null) {
            throw current.corrupt;
        }
        return current.record;
    }

    private static Lease start(ObjectStore store, String key, LeaseConfig config, Clock clock,
            ScheduledExecutorService scheduler, LeaseRecord record, String etag) {
        boolean owns = scheduler == null;
        ScheduledExecutorService s = owns ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pacsfs-lease-renewal");
            t.setDaemon(true);
            return t;
        }) : scheduler;
        Lease lease = new Lease(store, key, config, clock, s, owns, record, etag);
        LOG.info("acquired lease {} as {}, valid until {}", lease.where, record.describeHolder(), record.expiresAt());
        synchronized (lease.lock) {
            lease.scheduleLocked(config.renewInterval());
        }
        return lease;
    }

    /** The current state (a snapshot). */
    public State state() {
        return state;
    }

    /**
     * Throws unless this mount still holds the lease. Call before every change that goes to the bucket.
     *
     * @throws LeaseLostException    if the lease was lost (taken over or deleted)
     * @throws IllegalStateException if the lease was released by this mount
     */
    public void checkHeld() {
        State s = state;
        if (s == State.LOST) {
            throw lostException();
        }
        if (s == State.RELEASED) {
            throw new IllegalStateException("the lease " + where + " was released by this mount (" + record.describeHolder()
                    + "); nothing may be written any more");
        }
    }

    /**
     * Registers {@code listener} to run once when the lease is lost; at once, on this thread, if it
     * already is. A listener that throws is logged and does not affect the others.
     */
    public void addLostListener(Consumer<? super LeaseLostException> listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            if (state != State.LOST) {
                listeners.add(listener);
                return;
            }
        }
        notifyListener(listener, lostException());
    }

    /** The lease as this mount last wrote it (or found it, after a lost response). */
    public LeaseRecord record() {
        synchronized (lock) {
            return record;
        }
    }

    /** The object key of the lease. */
    public String key() {
        return key;
    }

    /** A snapshot of the renewal state, for status commands and logs. */
    public Status status() {
        synchronized (lock) {
            return new Status(state, record, lastRenewal, consecutiveFailures, lastFailure, lostReason);
        }
    }

    /**
     * What a status command shows about the lease.
     *
     * @param record              the lease as last written or found by this mount
     * @param lastRenewal         when it was last written successfully (acquisition included)
     * @param consecutiveFailures renewals failed since the last success (the store unreachable, ...)
     * @param lastFailure         the message of the last failure, or {@code null}
     * @param lostReason          why it was lost, or {@code null}
     */
    public record Status(State state, LeaseRecord record, Instant lastRenewal, int consecutiveFailures,
            String lastFailure, String lostReason) {}

    /** The ETag of the lease object as last written or read by us. For tests. */
    String etag() {
        synchronized (lock) {
            return etag;
        }
    }

    /** One renewal now, on the calling thread, as the background task does it; the schedule is unchanged. */
    void renewNow() {
        runRenewal(false);
    }

    private void renewTask() {
        runRenewal(true);
    }

    private void runRenewal(boolean reschedule) {
        LeaseLostException lost = null;
        List<Consumer<? super LeaseLostException>> toNotify = List.of();
        synchronized (lock) {
            if (state != State.HELD) {
                return;
            }
            Duration next = config.renewInterval();
            try {
                String why = renewLocked();
                if (why != null) {
                    toNotify = markLostLocked(why);
                    lost = lostException();
                } else if (consecutiveFailures > 0) {
                    LOG.warn("renewed lease {} again after {} failed attempts; valid until {}", where,
                            consecutiveFailures, record.expiresAt());
                    consecutiveFailures = 0;
                    lastFailure = null;
                    warnedExpired = false;
                }
            } catch (ObjectStoreException.Permanent e) {
                next = config.permanentErrorRetryInterval();
                failedLocked(e, next, true);
            } catch (RuntimeException e) { // Transient, and anything unexpected: keep trying
                next = config.retryInterval();
                failedLocked(e, next, !(e instanceof ObjectStoreException));
            }
            if (reschedule && state == State.HELD) {
                scheduleLocked(next);
            }
        }
        if (lost != null) {
            LOG.error("{}", lost.getMessage());
            stopOwnScheduler();
            for (var listener : toNotify) {
                notifyListener(listener, lost);
            }
        }
    }

    /** Writes the renewed lease; the reason it is lost, or {@code null} if it is (still) ours. */
    private String renewLocked() {
        for (int conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
            LeaseRecord renewed = record.withExpiresAt(now(clock).plus(config.leaseDuration()));
            try {
                String newEtag = store.put(key, LeaseCodec.encode(renewed), PutCondition.ifMatch(etag));
                record = renewed;
                etag = newEtag;
                lastRenewal = now(clock);
                return null;
            } catch (ObjectStoreException.PreconditionFailed | ObjectStoreException.NotFound e) {
                String why = stillOursLocked();
                if (why != null) {
                    return why;
                }
                // Ours: an earlier put of ours was applied but its response lost; try again on its ETag.
            }
        }
        throw new IllegalStateException("the lease object " + where + " keeps changing under this mount's renewals");
    }

    /**
     * After a failed compare-and-set: reads the object; {@code null} (and adopts its ETag) if it is
     * still this mount's lease, else why it is not. Store failures propagate (the caller retries).
     */
    private String stillOursLocked() {
        Current current = Current.read(store, key, where);
        String why = lossReason(current, record);
        if (why == null) {
            record = current.record;
            etag = current.etag;
        }
        return why;
    }

    /** Why {@code current} is not (any more) the lease of {@code mine}'s holder, or {@code null} if it is. */
    private static String lossReason(Current current, LeaseRecord mine) {
        if (current == null) {
            return "the lease object was deleted";
        }
        if (current.corrupt != null) {
            return "the lease object was overwritten with unreadable content (" + current.corrupt.reason() + ")";
        }
        LeaseRecord found = current.record;
        if (!found.sameHolder(mine)) {
            return "it was taken over by " + found.describeHolder() + " at " + found.acquiredAt()
                    + (found.state() == LeaseRecord.State.RELEASED ? " (and since released)" : "");
        }
        return null;
    }

    private void failedLocked(RuntimeException e, Duration next, boolean error) {
        consecutiveFailures++;
        lastFailure = e.getMessage();
        Instant now = now(clock);
        if (consecutiveFailures == 1 || consecutiveFailures % WARN_EVERY == 0 || error) {
            String msg = "renewing lease {} failed ({} in a row), retrying in {}; the lease stays this mount's: {}";
            if (error) {
                LOG.error(msg, where, consecutiveFailures, LeaseConfig.human(next), e.toString());
            } else {
                LOG.warn(msg, where, consecutiveFailures, LeaseConfig.human(next), e.getMessage());
            }
        }
        if (!warnedExpired && !now.isBefore(record.expiresAt())) {
            warnedExpired = true;
            LOG.warn("lease {} has expired as other hosts see it (at {}), because the store could not be reached "
                    + "to renew it; it remains this mount's, since nobody takes it over without --take-over", where,
                    record.expiresAt());
        }
    }

    private List<Consumer<? super LeaseLostException>> markLostLocked(String why) {
        state = State.LOST;
        lostReason = why;
        if (nextRenewal != null) {
            nextRenewal.cancel(false);
        }
        var copy = List.copyOf(listeners);
        listeners.clear();
        return copy;
    }

    private LeaseLostException lostException() {
        String why;
        LeaseRecord r;
        synchronized (lock) {
            why = lostReason;
            r = record;
        }
        return new LeaseLostException("lease " + where + " LOST by this mount (" + r.describeHolder() + "): " + why
                + "; this mount must stop writing to the bucket (what it did not ship stays in its local write-log)");
    }

    private void notifyListener(Consumer<? super LeaseLostException> listener, LeaseLostException e) {
        try {
            listener.accept(e);
        } catch (RuntimeException ex) {
            LOG.error("a lease-lost listener failed", ex);
        }
    }

    private void scheduleLocked(Duration delay) {
        try {
            nextRenewal = scheduler.schedule(this::renewTask, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) { // RejectedExecutionException: the scheduler was shut down under us
            LOG.error("cannot schedule the renewal of lease {}; it will expire (but stay ours) until released", where,
                    e);
        }
    }

    /**
     * Gives the lease back on a clean unmount: writes it as released (If-Match on our last ETag), so
     * that the next mount takes it at once, with the next epoch. Stops renewal. Never throws for store
     * failures: transient ones are retried {@link LeaseConfig#attempts()} times, then the lease is left
     * to expire (the next mount then needs {@code --take-over}). Idempotent.
     *
     * @return whether the object now says released (or is gone); {@code false} if the store could not be
     *     reached or the lease had been lost to another mount
     */
    public boolean release() {
        List<Consumer<? super LeaseLostException>> toNotify = List.of();
        boolean released = false;
        synchronized (lock) {
            if (state == State.LOST) {
                stopOwnScheduler();
                return false;
            }
            if (state == State.RELEASED) {
                return lastFailure == null;
            }
            if (nextRenewal != null) {
                nextRenewal.cancel(false);
            }
            int transientFailures = 0;
            for (int conflict = 0; conflict <= MAX_CONFLICTS; ) {
                LeaseRecord given = record.released(now(clock));
                try {
                    etag = store.put(key, LeaseCodec.encode(given), PutCondition.ifMatch(etag));
                    record = given;
                    state = State.RELEASED;
                    lastFailure = null;
                    released = true;
                    LOG.info("released lease {} ({})", where, record.describeHolder());
                    break;
                } catch (ObjectStoreException.PreconditionFailed | ObjectStoreException.NotFound e) {
                    conflict++;
                    Current current;
                    try {
                        current = Current.read(store, key, where);
                    } catch (ObjectStoreException readFailure) {
                        if (giveUpLocked(++transientFailures, readFailure)) {
                            break;
                        }
                        continue;
                    }
                    if (current == null) {
                        LOG.warn("releasing lease {}: the object was already deleted; nothing to release", where);
                        state = State.RELEASED;
                        lastFailure = null;
                        released = true;
                        break;
                    }
                    String why = lossReason(current, record);
                    if (why != null) {
                        toNotify = markLostLocked(why);
                        break;
                    }
                    record = current.record;
                    etag = current.etag;
                    if (record.state() == LeaseRecord.State.RELEASED) { // our release was applied, response lost
                        state = State.RELEASED;
                        lastFailure = null;
                        released = true;
                        LOG.info("released lease {} ({})", where, record.describeHolder());
                        break;
                    }
                } catch (ObjectStoreException e) {
                    if (giveUpLocked(++transientFailures, e)) {
                        break;
                    }
                }
            }
            if (state == State.HELD) { // too many conflicts
                giveUpLocked(config.attempts(), new IllegalStateException("the lease object keeps changing"));
            }
        }
        stopOwnScheduler();
        if (!toNotify.isEmpty() || state == State.LOST) {
            LeaseLostException lost = lostException();
            LOG.warn("releasing: {}", lost.getMessage());
            for (var listener : toNotify) {
                notifyListener(listener, lost);
            }
        }
        return released;
    }

    /** After a failed release attempt: whether to stop trying (then the lease is left to expire). */
    private boolean giveUpLocked(int failures, RuntimeException e) {
        boolean permanent = e instanceof ObjectStoreException.Permanent;
        if (!permanent && failures < config.attempts()) {
            LOG.warn("releasing lease {}: attempt {} of {} failed, retrying in {}: {}", where, failures,
                    config.attempts(), LeaseConfig.human(config.retryInterval()), e.getMessage());
            sleep(config.retryInterval(), null);
            return false;
        }
        state = State.RELEASED;
        lastFailure = e.getMessage();
        LOG.error("could not release lease {} ({}); it stays in the bucket and expires at {}, after which the next "
                + "mount needs --take-over: {}", where, record.describeHolder(), record.expiresAt(), e.getMessage());
        return true;
    }

    /** Same as {@link #release()}. */
    @Override
    public void close() {
        release();
    }

    /**
     * Stops renewing without touching the lease object: it stays held (by us) until it expires, and nobody else
     * takes it without --take-over. For an unmount that could not ship everything (the newest changes are only on
     * this machine) and for crash tests (a killed process releases nothing).
     */
    public void abandon() {
        synchronized (lock) {
            if (nextRenewal != null) {
                nextRenewal.cancel(false);
            }
            stopOwnScheduler();
        }
    }

    @Override
    public String toString() {
        return "Lease[" + where + ", " + state + ", " + record() + "]";
    }

    private void stopOwnScheduler() {
        if (ownsScheduler) {
            scheduler.shutdown(); // not shutdownNow: this may run on the renewal thread, before the listeners
        }
    }

    private static String heldMessage(String where, LeaseRecord theirs, String ourHost, Instant now, boolean expired) {
        StringBuilder sb = new StringBuilder("the filesystem is in use by another writer: the lease ").append(where)
                .append(" is held by ").append(theirs.describeHolder()).append(", acquired at ")
                .append(theirs.acquiredAt());
        if (expired) {
            sb.append(", and EXPIRED at ").append(theirs.expiresAt()).append(" (")
                    .append(LeaseConfig.human(Duration.between(theirs.expiresAt(), now).truncatedTo(ChronoUnit.SECONDS)))
                    .append(" ago) without being released");
        } else {
            sb.append(", and expires at ").append(theirs.expiresAt()).append(" (in ")
                    .append(LeaseConfig.human(Duration.between(now, theirs.expiresAt()).truncatedTo(ChronoUnit.SECONDS)))
                    .append(") unless renewed");
        }
        sb.append('.');
        if (theirs.host().equals(ourHost)) {
            sb.append(" That is this host: another pacsfs process here holds it (or held it before a crash).");
        }
        return sb.toString();
    }

    private static String advice(boolean expired) {
        if (expired) {
            return " Its holder crashed or lost contact with the store and may still hold writes it has not shipped."
                    + " If you are sure it is not running, mount with --take-over (it would then stop writing at"
                    + " its next renewal); or mount read-only.";
        }
        return " A second writer is refused: stop the other mount, or mount read-only. (--take-over would take the"
                + " lease from a running writer, which then stops writing.)";
    }

    private static String where(ObjectStore store, String key) {
        return "'" + key + "' in " + store.location();
    }

    private static Instant now(Clock clock) {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static void sleep(Duration d, ObjectStoreException cause) {
        try {
            Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (cause != null) {
                throw cause;
            }
        }
    }

    /** The lease object as read: absent ({@code null}), readable ({@link #record}) or not ({@link #corrupt}). */
    private static final class Current {
        final byte[] bytes;
        final String etag;
        final LeaseRecord record;
        final LeaseCorruptException corrupt;

        private Current(byte[] bytes, String etag, LeaseRecord record, LeaseCorruptException corrupt) {
            this.bytes = bytes;
            this.etag = etag;
            this.record = record;
            this.corrupt = corrupt;
        }

        static Current read(ObjectStore store, String key, String where) {
            ObjectData data;
            try {
                data = store.get(key);
            } catch (ObjectStoreException.NotFound e) {
                return null;
            }
            try {
                return new Current(data.bytes(), data.etag(), LeaseCodec.decode(data.bytes(), where), null);
            } catch (LeaseCorruptException e) {
                return new Current(data.bytes(), data.etag(), null, e);
            }
        }
    }
}
