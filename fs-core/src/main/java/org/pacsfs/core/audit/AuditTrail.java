package org.pacsfs.core.audit;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.store.ObjectData;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer of one audit stream (one mount): events go into a bounded in-memory queue (FUSE threads never wait), and
 * one background thread writes them as encrypted, hash-chained segments ({@link AuditSegment}) to
 * {@code audit/<stream>/<seq>} every {@link Config#interval()} or every {@link Config#maxEvents()} events, and a last
 * segment marked final at {@link #close()}. When the queue is full an event is dropped and counted, and the count is
 * stored in the next segment (never silently). Reads and writes are not events of their own: they are counted per open
 * handle and recorded once, at the handle's last close ({@link AuditKind#CLOSE}).
 *
 * <p>What a crash loses: the events still in memory (at most one interval's worth, plus a segment being retried while
 * S3 is unreachable). The stream then has no final segment, which {@code pacsfs audit} reports. Thread-safe.
 */
public final class AuditTrail implements AuditSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * @param interval     longest time between an event and the segment holding it (0.1 s .. 1 h)
     * @param maxEvents    a segment is written early once this many events wait (1 .. 1,000,000)
     * @param queueEvents  events held in memory at most; more are dropped and counted (1 .. 10,000,000)
     * @param closeTimeout how long {@link #close()} keeps trying to write the last segments while S3 fails
     */
    public record Config(Duration interval, int maxEvents, int queueEvents, Duration closeTimeout) {
        public Config {
            if (interval.compareTo(Duration.ofMillis(100)) < 0 || interval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("the audit interval must be between 0.1 s and 1 h, got " + interval);
            }
            if (maxEvents < 1 || maxEvents > 1_000_000) {
                throw new IllegalArgumentException("audit maxEvents must be 1..1000000, got " + maxEvents);
            }
            if (queueEvents < 1 || queueEvents > 10_000_000) {
                throw new IllegalArgumentException("audit queueEvents must be 1..10000000, got " + queueEvents);
            }
            Objects.requireNonNull(closeTimeout, "closeTimeout");
        }

        public static Config defaults() {
            return new Config(Duration.ofSeconds(30), 10_000, 100_000, Duration.ofSeconds(60));
        }

        public Config withInterval(Duration d) {
            return new Config(d, maxEvents, queueEvents, closeTimeout);
        }

        public Config withQueueEvents(int n) {
            return new Config(interval, maxEvents, n, closeTimeout);
        }

        public Config withMaxEvents(int n) {
            return new Config(interval, n, queueEvents, closeTimeout);
        }
    }

    /** One open handle: who opened what, and what went through it. */
    private static final class Handle {
        final Caller who;
        final ProcessNames.Proc process;
        final String path;
        final long ino;
        final AtomicLong bytesRead = new AtomicLong();
        final AtomicLong bytesWritten = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong firstIoMs = new AtomicLong();
        volatile long lastIoMs;

        Handle(Caller who, ProcessNames.Proc process, String path, long ino) {
            this.who = who;
            this.process = process;
            this.path = path;
            this.ino = ino;
        }

        void io(long nowMs) {
            if (firstIoMs.get() == 0) {
                firstIoMs.compareAndSet(0, nowMs);
            }
            lastIoMs = nowMs;
        }
    }

    private final ObjectStore store;
    private final BucketKeys keys;
    private final AuditKey key;
    private final UUID fsId;
    private final byte[] streamId;
    private final String streamHex;
    private final Config config;
    private final Clock clock;
    private final ProcessNames processes;
    private final ArrayBlockingQueue<AuditEvent> queue;
    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicLong segmentsWritten = new AtomicLong();
    private final Thread writer;
    private volatile boolean closing;
    private volatile long lastDropWarningNs = System.nanoTime() - 61_000_000_000L;
    private long seq = 1;
    private byte[] previous = new byte[32];

    private AuditTrail(ObjectStore store, BucketKeys keys, AuditKey key, UUID fsId, Config config, Clock clock, Path proc) {
        this.store = store;
        this.keys = keys;
        this.key = key;
        this.fsId = fsId;
        this.config = config;
        this.clock = clock;
        this.processes = new ProcessNames(proc);
        this.queue = new ArrayBlockingQueue<>(config.queueEvents());
        this.streamId = newStreamId(clock);
        this.streamHex = java.util.HexFormat.of().formatHex(streamId);
        this.writer = new Thread(this::writeLoop, "pacsfs-audit");
        writer.setDaemon(true);
    }

    /** Starts a new stream of the filesystem {@code fsId} in {@code store} (keys under {@code keys}). */
    public static AuditTrail start(ObjectStore store, BucketKeys keys, AuditKey key, UUID fsId, Config config, Clock clock) {
        return start(store, keys, key, fsId, config, clock, Path.of("/proc"));
    }

    static AuditTrail start(ObjectStore store, BucketKeys keys, AuditKey key, UUID fsId, Config config, Clock clock, Path proc) {
        AuditTrail t = new AuditTrail(store, keys, key, fsId, config, clock, proc);
        t.writer.start();
        LOG.info("access audit on: stream {} under {} (key id {}), a segment at least every {} ms", t.streamHex,
                keys.auditPrefix().isEmpty() ? "audit/" : keys.auditPrefix(), key.idHex(), config.interval().toMillis());
        return t;
    }

    /** 6 bytes of creation time (ms) then 10 random bytes: streams list in the order they were started. */
    private static byte[] newStreamId(Clock clock) {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        long ms = clock.millis();
        for (int i = 0; i < 6; i++) {
            id[i] = (byte) (ms >>> (8 * (5 - i)));
        }
        return id;
    }

    public String streamHex() {
        return streamHex;
    }

    /** Events recorded so far (queued), events dropped so far (queue full or a segment that could not be written). */
    public long recorded() {
        return recorded.get();
    }

    public long droppedTotal() {
        return droppedTotal.get();
    }

    public long segmentsWritten() {
        return segmentsWritten.get();
    }

    // ---- AuditSink: called on FUSE threads ----

    @Override
    public void event(AuditKind kind, Caller who, String path, String path2, long ino, int errno, long... values) {
        ProcessNames.Proc p = processes.of(who.pid());
        enqueue(new AuditEvent(kind, errno, nowNs(), who.uid(), who.gid(), p.pid(), p.name(), ino, path, path2, values));
    }

    @Override
    public void opened(long fh, AuditKind kind, Caller who, String path, long ino, long... values) {
        ProcessNames.Proc p = processes.of(who.pid());
        handles.put(fh, new Handle(who, p, path, ino));
        enqueue(new AuditEvent(kind, 0, nowNs(), who.uid(), who.gid(), p.pid(), p.name(), ino, path, "", values));
    }

    @Override
    public void read(long fh, long bytes) {
        Handle h = handles.get(fh);
        if (h != null && bytes > 0) {
            h.bytesRead.addAndGet(bytes);
            h.reads.incrementAndGet();
            h.io(clock.millis());
        }
    }

    @Override
    public void wrote(long fh, long bytes) {
        Handle h = handles.get(fh);
        if (h != null && bytes > 0) {
            h.bytesWritten.addAndGet(bytes);
            h.writes.incrementAndGet();
            h.io(clock.millis());
        }
    }

    @Override
    public void released(long fh) {
        Handle h = handles.remove(fh);
        if (h != null) {
            enqueue(new AuditEvent(AuditKind.CLOSE, 0, nowNs(), h.who.uid(), h.who.gid(), h.process.pid(), h.process.name(), h.ino, h.path, "",
                    new long[] {h.bytesRead.get(), h.bytesWritten.get(), h.reads.get(), h.writes.get(), h.firstIoMs.get(), h.lastIoMs}));
        }
    }

    @Override
    public String pathOf(long fh) {
        Handle h = handles.get(fh);
        return h == null ? null : h.path;
    }

    private void enqueue(AuditEvent e) {
        if (queue.offer(e)) {
            recorded.incrementAndGet();
            return;
        }
        dropped.incrementAndGet();
        long total = droppedTotal.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastDropWarningNs > 60_000_000_000L) {
            lastDropWarningNs = now;
            LOG.warn("the audit queue is full ({} events): {} events dropped so far; the count is recorded in the next segment",
                    config.queueEvents(), total);
        }
    }

    private long nowNs() {
        Instant t = clock.instant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    // ---- the writer thread ----

    private void writeLoop() {
        List<AuditEvent> batch = new ArrayList<>();
        long due = System.nanoTime() + config.interval().toNanos();
        try {
            while (!closing) {
                // Short polls rather than an interrupt at close: an interrupt could abort a PUT in flight.
                long wait = Math.min(due - System.nanoTime(), 100_000_000L);
                AuditEvent e = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : null;
                if (e != null) {
                    batch.add(e);
                    queue.drainTo(batch, config.maxEvents() - batch.size());
                }
                boolean timeUp = System.nanoTime() - due >= 0;
                if (batch.size() >= config.maxEvents() || (timeUp && (!batch.isEmpty() || dropped.get() > 0))) {
                    writeSegment(batch, false, Long.MAX_VALUE);
                    batch.clear();
                }
                if (timeUp) {
                    due = System.nanoTime() + config.interval().toNanos();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                pending = batch;
            }
        }
    }

    private List<AuditEvent> pending = List.of();

    /**
     * Writes one segment, retrying transient failures (with backoff) until {@code deadlineNs}. A segment that cannot be
     * written is counted as dropped events, recorded in the next one; its sequence number is reused, so the chain has no
     * gap.
     */
    private boolean writeSegment(List<AuditEvent> events, boolean last, long deadlineNs) {
        long droppedBefore = dropped.getAndSet(0);
        byte[] object = AuditSegment.encode(key, fsId, streamId, seq, previous, nowNs(), last, droppedBefore, events);
        String k = keys.auditSegment(streamHex, seq);
        long delayMs = 100;
        while (true) {
            try {
                store.put(k, object, PutCondition.ifNoneMatch());
                break;
            } catch (ObjectStoreException.PreconditionFailed e) {
                if (alreadyThere(k, object)) {
                    break; // our first attempt got through; its answer was lost
                }
                return lost(events, droppedBefore, k, e);
            } catch (ObjectStoreException.Transient | IllegalStateException e) {
                if (e instanceof IllegalStateException || System.nanoTime() + delayMs * 1_000_000 - deadlineNs > 0 || closingHard) {
                    return lost(events, droppedBefore, k, e);
                }
                LOG.warn("writing audit segment {} failed ({}); retrying in {} ms", k, e.getMessage(), delayMs);
                if (!sleep(delayMs)) {
                    return lost(events, droppedBefore, k, e);
                }
                delayMs = Math.min(10_000, delayMs * 2);
            } catch (RuntimeException e) {
                return lost(events, droppedBefore, k, e);
            }
        }
        previous = AuditSegment.sha256(object);
        seq++;
        segmentsWritten.incrementAndGet();
        return true;
    }

    private volatile boolean closingHard;

    private boolean alreadyThere(String k, byte[] object) {
        try {
            ObjectData d = store.get(k);
            return java.util.Arrays.equals(d.bytes(), object);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean lost(List<AuditEvent> events, long droppedBefore, String k, Exception e) {
        long n = events.size() + droppedBefore;
        dropped.addAndGet(n);
        droppedTotal.addAndGet(events.size());
        LOG.error("audit segment {} could not be written ({}): {} events lost; the count is recorded in the next segment", k,
                e.getMessage(), events.size());
        return false;
    }

    private static boolean sleep(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Writes what is queued and a last segment marked final (also when nothing is queued), retrying for at most
     * {@link Config#closeTimeout()}. Handles still open are recorded as closed first. Idempotent.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            writer.join(config.closeTimeout().toMillis());
            if (writer.isAlive()) {
                closingHard = true; // the writer is stuck retrying: it gives up, and its events are counted as lost
                writer.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            LOG.error("access audit stream {}: the writer did not stop; the last events ({} queued) are not written", streamHex,
                    queue.size());
            return;
        }
        closingHard = false;
        for (Long fh : List.copyOf(handles.keySet())) {
            released(fh);
        }
        List<AuditEvent> rest;
        synchronized (this) {
            rest = new ArrayList<>(pending);
        }
        queue.drainTo(rest);
        long deadline = System.nanoTime() + config.closeTimeout().toNanos();
        while (rest.size() > config.maxEvents()) {
            writeSegment(rest.subList(0, config.maxEvents()), false, deadline);
            rest = rest.subList(config.maxEvents(), rest.size());
        }
        boolean ok = writeSegment(rest, true, deadline);
        LOG.info("access audit stream {} {}: {} segments, {} events recorded, {} dropped", streamHex,
                ok ? "closed" : "ended WITHOUT its final segment", segmentsWritten.get(), recorded.get(), droppedTotal.get());
    }
}
