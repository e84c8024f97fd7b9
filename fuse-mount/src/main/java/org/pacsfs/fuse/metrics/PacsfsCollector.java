package org.pacsfs.fuse.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.pacsfs.core.store.CountingObjectStore.Outcome;
import org.pacsfs.core.store.StoreOperation;

/**
 * Turns a {@link MountFigures} reading, taken at scrape time, into Prometheus metric families (names, units and
 * meanings are listed in docs/OPERATIONS.md, "Monitor"). Holds no counters of its own: the figures live in fs-core
 * and are only read here. Thread-safe if the supplier is.
 */
public final class PacsfsCollector implements MultiCollector {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PacsfsCollector.class);

    private final Supplier<MountFigures> figures;
    private final Labels mountLabels;

    /**
     * @param figures     read at every scrape; may return null while the filesystem is not open (then only the info
     *                    metric is served)
     * @param mountLabels labels of the {@code pacsfs_mount_info} metric (location, mount point, ...)
     */
    public PacsfsCollector(Supplier<MountFigures> figures, Labels mountLabels) {
        this.figures = figures;
        this.mountLabels = mountLabels;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(InfoSnapshot.builder().name("pacsfs_mount").help("The mount this endpoint belongs to")
                .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(mountLabels).build()).build());
        MountFigures f;
        try {
            f = figures.get();
        } catch (RuntimeException e) {
            // The filesystem is closing under the scrape: serve what is certain rather than an HTTP error.
            LOG.debug("figures not readable: {}", e.toString());
            f = null;
        }
        if (f != null) {
            shipping(f, out);
            lease(f, out);
            s3(f, out);
            cache(f.cache(), out);
            out.add(gauge("pacsfs_files", "Files, directories and links in the filesystem", null, f.files()));
            out.add(gauge("pacsfs_stored_bytes", "Bytes of file data in the filesystem", Unit.BYTES, f.bytesStored()));
        }
        return new MetricSnapshots(out);
    }

    private static void shipping(MountFigures f, List<MetricSnapshot> out) {
        out.add(gauge("pacsfs_unshipped_bytes", "Bytes of write-log records not yet committed to S3", Unit.BYTES, f.unshippedBytes()));
        out.add(gauge("pacsfs_unshipped_records", "Write-log records (changes) not yet committed to S3", null, f.unshippedRecords()));
        out.add(gauge("pacsfs_oldest_unshipped_age_seconds", "Age of the oldest change not yet committed to S3 (0 if none)",
                Unit.SECONDS, f.oldestUnshippedAgeSeconds()));
        out.add(gauge("pacsfs_write_log_bytes", "Bytes of the write-log's files on local disk", Unit.BYTES, f.writeLogBytes()));
        out.add(gauge("pacsfs_write_log_capacity_bytes", "The write-log's cap (--wal-cap): at it writers wait, then get ENOSPC",
                Unit.BYTES, f.writeLogCapBytes()));
        out.add(stateGauge("pacsfs_shipper_state", "What the shipper does: 1 for the current state, 0 for the others",
                MountFigures.SHIPPER_STATES, f.shipper()));
        out.add(counter("pacsfs_shipper_retries", "Requests and batches the shipper retried after a transient failure", null,
                f.shipperRetries()));
        out.add(counter("pacsfs_read_retries", "Chunk GETs the read path repeated after a transient failure", null,
                f.readRetries()));
        out.add(counter("pacsfs_chunks_uploaded", "Chunk objects uploaded", null, f.chunksUploaded()));
        out.add(counter("pacsfs_uploaded_bytes", "Bytes uploaded by the shipper (chunks and log segments)", Unit.BYTES,
                f.bytesUploaded()));
        out.add(gauge("pacsfs_log_segments", "Segments in the bucket's metadata log (its head)", null, f.logSegments()));
        out.add(counter("pacsfs_checkpoints_written", "Checkpoints uploaded", null, f.checkpointsWritten()));
    }

    private static void lease(MountFigures f, List<MetricSnapshot> out) {
        out.add(stateGauge("pacsfs_lease_state", "The single-writer lease: 1 for the current state, 0 for the others",
                MountFigures.LEASE_STATES, f.lease()));
        out.add(gauge("pacsfs_lease_renewal_failures", "Lease renewals failed in a row (0 when the last one worked)", null,
                f.leaseRenewalFailures()));
        if (f.leaseExpiresInSeconds() != null) {
            out.add(gauge("pacsfs_lease_expires_in_seconds", "Seconds until the lease as last written expires (negative: expired)",
                    Unit.SECONDS, f.leaseExpiresInSeconds()));
        }
    }

    private static void s3(MountFigures f, List<MetricSnapshot> out) {
        CounterSnapshot.Builder requests = CounterSnapshot.builder().name("pacsfs_s3_requests")
                .help("Requests sent to S3 by operation and outcome (ok, not_found, precondition_failed, transient, permanent, other); "
                        + "every attempt counts");
        for (StoreOperation op : StoreOperation.values()) {
            for (Outcome o : Outcome.values()) {
                long n = f.s3Requests().getOrDefault(op, java.util.Map.of()).getOrDefault(o, 0L);
                requests.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("operation", MountFigures.lower(op),
                        "outcome", MountFigures.lower(o))).value(n).build());
            }
        }
        out.add(requests.build());
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("pacsfs_s3_bytes").unit(Unit.BYTES)
                .help("Body bytes of successful S3 requests: sent for put, received for get");
        for (StoreOperation op : List.of(StoreOperation.PUT, StoreOperation.GET)) {
            bytes.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("operation", MountFigures.lower(op)))
                    .value(f.s3Bytes().getOrDefault(op, 0L)).build());
        }
        out.add(bytes.build());
    }

    private static void cache(MountFigures.Cache c, List<MetricSnapshot> out) {
        out.add(tiers(CounterSnapshot.builder().name("pacsfs_cache_hits").help("Chunk cache lookups served by a tier"),
                c.memoryHits(), c.diskHits()));
        out.add(tiers(CounterSnapshot.builder().name("pacsfs_cache_misses")
                .help("Chunk cache lookups a tier could not serve (memory misses go to disk, disk misses to S3)"),
                c.memoryMisses(), c.diskMisses()));
        out.add(tierGauge("pacsfs_cache_bytes", "Bytes held by a chunk cache tier", c.memoryBytes(), c.diskBytes()));
        out.add(tierGauge("pacsfs_cache_capacity_bytes", "Size of a chunk cache tier (disk 0: off)", c.memoryCapBytes(), c.diskCapBytes()));
        out.add(counter("pacsfs_cache_prefetches", "Read-ahead loads started", null, c.prefetches()));
        out.add(counter("pacsfs_cache_corrupt_blocks", "Disk cache blocks that failed verification (removed, fetched again)",
                null, c.corruptBlocks()));
    }

    private static CounterSnapshot tiers(CounterSnapshot.Builder b, long memory, long disk) {
        return b.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("tier", "memory")).value(memory).build())
                .dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("tier", "disk")).value(disk).build()).build();
    }

    private static GaugeSnapshot tierGauge(String name, String help, long memory, long disk) {
        return GaugeSnapshot.builder().name(name).help(help).unit(Unit.BYTES)
                .dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("tier", "memory")).value(memory).build())
                .dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("tier", "disk")).value(disk).build()).build();
    }

    /** One series per possible state, 1 for the current one: alerts and graphs need no code table. */
    private static GaugeSnapshot stateGauge(String name, String help, String[] states, String current) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (String s : states) {
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("state", s)).value(s.equals(current) ? 1 : 0).build());
        }
        return b.build();
    }

    private static GaugeSnapshot gauge(String name, String help, Unit unit, double value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        if (unit != null) {
            b.unit(unit);
        }
        return b.dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static CounterSnapshot counter(String name, String help, Unit unit, double value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        if (unit != null) {
            b.unit(unit);
        }
        return b.dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
    }
}
