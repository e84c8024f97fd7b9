package org.pacsfs.fuse.cli;

import java.nio.file.Path;
import java.time.Instant;
import org.pacsfs.core.fs.LocalFileSystem;
import org.pacsfs.core.store.CountingObjectStore;
import org.pacsfs.core.store.StoreOperation;
import org.pacsfs.fuse.metrics.MountFigures;

/**
 * What {@code pacsfs status} shows, served by the running mount as the value of the root's {@code user.pacsfs.status}
 * extended attribute (so the mount itself is the channel: no socket path to agree on). One JSON object, flat keys.
 */
final class MountStatus {

    private final LocalFileSystem fs;
    private final S3Location location;
    private final Path mountPoint;
    private final boolean readOnly;
    private final Instant mountedAt = Instant.now();
    private final MountFigures.Source figures;
    private final String metricsUrl;

    /** @param metricsUrl where the Prometheus endpoint serves the same figures, or null if it is off */
    MountStatus(MountFigures.Source figures, S3Location location, Path mountPoint, boolean readOnly, String metricsUrl) {
        this.fs = figures.fs();
        this.figures = figures;
        this.location = location;
        this.mountPoint = mountPoint;
        this.readOnly = readOnly;
        this.metricsUrl = metricsUrl;
    }

    /** The figures the Prometheus endpoint serves (read now). */
    MountFigures figures() {
        return figures.read();
    }

    boolean readOnly() {
        return readOnly;
    }

    /** The mount's access-audit trail, shown by status (null: the audit is off). */
    private volatile org.pacsfs.core.audit.AuditTrail audit;

    void audit(org.pacsfs.core.audit.AuditTrail trail) {
        this.audit = trail;
    }

    String json() {
        LocalFileSystem.ShipStatus s = fs.shipStatus();
        LocalFileSystem.RecoveryInfo r = fs.recoveryInfo();
        StringBuilder b = new StringBuilder("{");
        field(b, "pid", ProcessHandle.current().pid());
        field(b, "location", location.toString());
        field(b, "mountPoint", mountPoint.toString());
        field(b, "mountedAt", mountedAt.toString());
        field(b, "readOnly", readOnly);
        field(b, "lastLsn", s.lastLsn());
        field(b, "shippedLsn", s.shippedLsn());
        LocalFileSystem.OperatorStatus o = fs.operatorStatus();
        MountFigures f = figures();
        field(b, "unshippedRecords", f.unshippedRecords());
        field(b, "unshippedBytes", f.unshippedBytes());
        field(b, "writeLogBytes", f.writeLogBytes());
        field(b, "writeLogCapBytes", f.writeLogCapBytes());
        field(b, "oldestUnshippedAgeSeconds", f.oldestUnshippedAgeSeconds());
        field(b, "shipperState", f.shipper());
        field(b, "lease", o.lease());
        field(b, "leaseState", f.lease());
        field(b, "leaseRenewalFailures", f.leaseRenewalFailures());
        field(b, "leaseExpiresInSeconds", f.leaseExpiresInSeconds());
        field(b, "logSegmentsCommitted", s.headSeq());
        field(b, "bytesUploaded", s.bytesUploaded());
        field(b, "putRequests", s.putRequests());
        field(b, "retries", s.retries());
        field(b, "readRetries", f.readRetries());
        field(b, "chunksUploaded", f.chunksUploaded());
        field(b, "checkpointsWritten", f.checkpointsWritten());
        if (figures.store() != null) {
            s3(b, f);
        }
        cache(b, f.cache());
        field(b, "bytesStored", fs.bytesStored());
        field(b, "files", fs.inodeCount());
        field(b, "recoveryIndexTrusted", r.indexTrusted());
        field(b, "recoveryRecordsReplayed", r.recordsReplayed());
        org.pacsfs.core.bucket.FsSettings settings = fs.settings();
        field(b, "worm", settings.worm());
        field(b, "retention", org.pacsfs.core.bucket.FsSettings.describe(settings.retention()));
        field(b, "wormGrace", org.pacsfs.core.bucket.FsSettings.describe(settings.wormGrace()));
        org.pacsfs.core.audit.AuditTrail a = audit;
        field(b, "audit", a != null);
        if (a != null) {
            field(b, "audit.stream", a.streamHex());
            field(b, "audit.events", a.recorded());
            field(b, "audit.dropped", a.droppedTotal());
            field(b, "audit.segments", a.segmentsWritten());
        }
        field(b, "lastError", s.failure());
        field(b, "metricsUrl", metricsUrl);
        b.setLength(b.length() - 1);
        return b.append('}').toString();
    }

    /** s3Requests.OPERATION.OUTCOME for every pair (stable keys for scripts), then s3Bytes.put / s3Bytes.get. */
    private static void s3(StringBuilder b, MountFigures f) {
        for (StoreOperation op : StoreOperation.values()) {
            for (CountingObjectStore.Outcome o : CountingObjectStore.Outcome.values()) {
                field(b, "s3Requests." + MountFigures.lower(op) + "." + MountFigures.lower(o),
                        f.s3Requests().getOrDefault(op, java.util.Map.of()).getOrDefault(o, 0L));
            }
        }
        field(b, "s3Bytes.put", f.s3Bytes().getOrDefault(StoreOperation.PUT, 0L));
        field(b, "s3Bytes.get", f.s3Bytes().getOrDefault(StoreOperation.GET, 0L));
    }

    private static void cache(StringBuilder b, MountFigures.Cache c) {
        field(b, "cache.memory.hits", c.memoryHits());
        field(b, "cache.memory.misses", c.memoryMisses());
        field(b, "cache.memory.bytes", c.memoryBytes());
        field(b, "cache.memory.capBytes", c.memoryCapBytes());
        field(b, "cache.disk.hits", c.diskHits());
        field(b, "cache.disk.misses", c.diskMisses());
        field(b, "cache.disk.bytes", c.diskBytes());
        field(b, "cache.disk.capBytes", c.diskCapBytes());
        field(b, "cache.prefetches", c.prefetches());
        field(b, "cache.corruptBlocks", c.corruptBlocks());
    }

    private static void field(StringBuilder b, String name, Object value) {
        JsonFields.append(b, name, value);
    }
}
