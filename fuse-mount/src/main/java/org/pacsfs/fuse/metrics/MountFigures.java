package org.pacsfs.fuse.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.pacsfs.cache.CacheConfig;
import org.pacsfs.cache.CacheStats;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.lease.Lease;
import org.pacsfs.core.store.CountingObjectStore;
import org.pacsfs.core.store.CountingObjectStore.Outcome;
import org.pacsfs.core.store.StoreOperation;

/**
 * One reading of a running mount's figures: what {@code pacsfs status} prints and what the Prometheus endpoint serves
 * (both read it, so they cannot disagree). Counters count since the filesystem was opened. Immutable.
 *
 * @param unshippedBytes            bytes of write-log records not yet committed to the bucket
 * @param unshippedRecords          how many records that is
 * @param oldestUnshippedAgeSeconds age of the oldest of them (0 if none)
 * @param writeLogBytes             bytes of the write-log's files on local disk (shipped records stay until their
 *                                  whole segment is released)
 * @param writeLogCapBytes          the write-log's cap ({@code --wal-cap}): at it writers wait, then get ENOSPC
 * @param lease                     the single-writer lease: {@code held}, {@code lost}, {@code released} or
 *                                  {@code none} (read-only view)
 * @param leaseRenewalFailures      renewals failed in a row (S3 unreachable); 0 when the last one worked
 * @param leaseExpiresInSeconds     seconds until the lease as last written expires (negative: expired), or null
 * @param shipper                   {@code idle}, {@code shipping}, {@code retrying}, {@code stopped} or {@code none}
 * @param shipperRetries            requests and batches the shipper retried after a transient failure
 * @param readRetries               chunk GETs the read path repeated after a transient failure
 * @param chunksUploaded            chunk objects uploaded
 * @param bytesUploaded             bytes uploaded by the shipper (chunks and log segments)
 * @param logSegments               segments in the bucket's metadata log (its head)
 * @param checkpointsWritten        checkpoints uploaded
 * @param s3Requests                requests sent to S3, by operation and outcome (each attempt counts)
 * @param s3Bytes                   body bytes of successful requests: sent for PUT, received for GET
 * @param cache                     the chunk cache's counters and sizes
 * @param files                     inodes in the filesystem
 * @param bytesStored               bytes of file data in the filesystem
 */
public record MountFigures(long unshippedBytes, long unshippedRecords, long oldestUnshippedAgeSeconds, long writeLogBytes,
                           long writeLogCapBytes, String lease, long leaseRenewalFailures, Long leaseExpiresInSeconds,
                           String shipper, long shipperRetries, long readRetries, long chunksUploaded, long bytesUploaded, long logSegments,
                           long checkpointsWritten, Map<StoreOperation, Map<Outcome, Long>> s3Requests,
                           Map<StoreOperation, Long> s3Bytes, Cache cache, long files, long bytesStored) {

    /** The values {@link #lease()} takes, in the order the endpoint lists them. */
    public static final String[] LEASE_STATES = {"held", "lost", "released", "none"};
    /** The values {@link #shipper()} takes, in the order the endpoint lists them. */
    public static final String[] SHIPPER_STATES = {"idle", "shipping", "retrying", "stopped", "none"};

    public MountFigures {
        s3Requests = Map.copyOf(s3Requests);
        s3Bytes = Map.copyOf(s3Bytes);
    }

    /**
     * The chunk cache. A lookup goes to the memory tier first; its misses go to the disk tier (when there is one),
     * whose misses are GETs from S3. Read-ahead loads count as memory misses too.
     *
     * @param memoryHits      lookups served from memory (including waits for a load already under way)
     * @param memoryMisses    lookups memory could not serve (loads: disk hits plus GETs)
     * @param diskHits        loads served by a verified disk block
     * @param diskMisses      loads that had to GET the chunk from S3
     * @param memoryBytes     bytes in the memory tier now
     * @param memoryCapBytes  its size ({@code --memory-cache})
     * @param diskBytes       bytes in the disk tier now
     * @param diskCapBytes    its size ({@code --disk-cache}; 0 = off)
     * @param prefetches      read-ahead loads started
     * @param corruptBlocks   disk blocks that failed verification (removed, fetched again)
     */
    public record Cache(long memoryHits, long memoryMisses, long diskHits, long diskMisses, long memoryBytes,
                        long memoryCapBytes, long diskBytes, long diskCapBytes, long prefetches, long corruptBlocks) {
        static final Cache NONE = new Cache(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        static Cache of(CacheStats s, CacheConfig config) {
            if (s == null) {
                return NONE;
            }
            return new Cache(s.memoryHits(), s.diskHits() + s.originLoads(), s.diskHits(), s.originLoads(), s.memoryBytes(),
                    config == null ? 0 : config.memoryBytes(), s.diskBytes(), config == null ? 0 : config.diskBytes(),
                    s.prefetches(), s.corruptBlocks());
        }
    }

    /** Where the figures come from: the filesystem, the counted store below it (null: none) and the cache's sizes. */
    public record Source(LocalFileSystem fs, CountingObjectStore store, CacheConfig cacheConfig) {
        public MountFigures read() {
            return MountFigures.read(this, Instant.now());
        }
    }

    static MountFigures read(Source src, Instant now) {
        LocalFileSystem fs = src.fs();
        LocalFileSystem.WalUsage wal = fs.walUsage();
        LocalFileSystem.ShipStatus ship = fs.shipStatus();
        Instant oldest = wal.unshippedRecords() == 0 ? null : fs.operatorStatus().oldestUnshippedAt();
        long age = oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toSeconds());
        Lease.Status lease = fs.leaseStatus();
        Long expiresIn = lease == null || lease.record() == null ? null
                : Duration.between(now, lease.record().expiresAt()).toSeconds();
        return new MountFigures(wal.unshippedBytes(), wal.unshippedRecords(), age, wal.bytesHeld(), wal.capacityBytes(),
                lease == null ? "none" : lower(lease.state()), lease == null ? 0 : lease.consecutiveFailures(), expiresIn,
                lower(fs.shipperState()), ship.retries(), fs.readRetries(), fs.chunksUploaded(), ship.bytesUploaded(), ship.headSeq(),
                ship.checkpointsWritten(), requests(src.store()), bytes(src.store()),
                Cache.of(fs.cacheStats(), src.cacheConfig()), fs.inodeCount(), fs.bytesStored());
    }

    /** All requests of one operation, whatever their outcome. */
    public long requests(StoreOperation op) {
        return s3Requests.getOrDefault(op, Map.of()).values().stream().mapToLong(Long::longValue).sum();
    }

    private static Map<StoreOperation, Map<Outcome, Long>> requests(CountingObjectStore store) {
        Map<StoreOperation, Map<Outcome, Long>> m = new EnumMap<>(StoreOperation.class);
        for (StoreOperation op : StoreOperation.values()) {
            Map<Outcome, Long> byOutcome = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                byOutcome.put(o, store == null ? 0 : store.requests(op, o));
            }
            m.put(op, Map.copyOf(byOutcome));
        }
        return m;
    }

    private static Map<StoreOperation, Long> bytes(CountingObjectStore store) {
        Map<StoreOperation, Long> m = new EnumMap<>(StoreOperation.class);
        m.put(StoreOperation.PUT, store == null ? 0 : store.bytes(StoreOperation.PUT));
        m.put(StoreOperation.GET, store == null ? 0 : store.bytes(StoreOperation.GET));
        return m;
    }

    /** Label values and JSON keys are lower case: {@code put}, {@code precondition_failed}, {@code held}. */
    public static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
