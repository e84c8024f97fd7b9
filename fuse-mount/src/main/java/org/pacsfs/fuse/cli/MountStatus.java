package org.pacsfs.fuse.cli;

import java.nio.file.Path;
import java.time.Instant;
import org.pacsfs.core.fs.LocalFileSystem;

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

    MountStatus(LocalFileSystem fs, S3Location location, Path mountPoint, boolean readOnly) {
        this.fs = fs;
        this.location = location;
        this.mountPoint = mountPoint;
        this.readOnly = readOnly;
    }

    boolean readOnly() {
        return readOnly;
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
        field(b, "unshippedRecords", readOnly ? 0 : Math.max(0, s.lastLsn() - s.shippedLsn()));
        field(b, "writeLogBytes", o.walBytesHeld());
        field(b, "oldestUnshippedAgeSeconds", o.oldestUnshippedAt() == null ? 0
                : Math.max(0, java.time.Duration.between(o.oldestUnshippedAt(), Instant.now()).toSeconds()));
        field(b, "lease", o.lease());
        field(b, "logSegmentsCommitted", s.headSeq());
        field(b, "bytesUploaded", s.bytesUploaded());
        field(b, "putRequests", s.putRequests());
        field(b, "retries", s.retries());
        field(b, "bytesStored", fs.bytesStored());
        field(b, "files", fs.inodeCount());
        field(b, "recoveryIndexTrusted", r.indexTrusted());
        field(b, "recoveryRecordsReplayed", r.recordsReplayed());
        field(b, "lastError", s.failure());
        b.setLength(b.length() - 1);
        return b.append('}').toString();
    }

    private static void field(StringBuilder b, String name, Object value) {
        b.append('"').append(name).append("\":");
        if (value == null) {
            b.append("null");
        } else if (value instanceof Number || value instanceof Boolean) {
            b.append(value);
        } else {
            b.append('"');
            for (char c : value.toString().toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            b.append('"');
        }
        b.append(',');
    }
}
