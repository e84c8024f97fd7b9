package org.pacsfs.core.audit;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One access to the filesystem, as the FUSE request carried it.
 *
 * @param kind    what was done
 * @param errno   0 if it succeeded, else the errno the caller got (refusals are worth recording too: EPERM of WORM)
 * @param timeNs  when, ns since the epoch (this machine's clock)
 * @param uid     the caller's user id
 * @param gid     the caller's group id
 * @param pid     the caller's process id (0 when the kernel sent the request on nobody's behalf)
 * @param process the caller's process name from /proc/PID/comm, "" when unknown
 * @param ino     the inode concerned, -1 when unknown (e.g. an open that failed)
 * @param path    the path in the filesystem ("/dir/file")
 * @param path2   the second path or name of the kind (rename target, link name, symlink target, xattr name), else ""
 * @param values  the numbers {@link AuditKind#valueNames()} names, in that order
 */
public record AuditEvent(AuditKind kind, int errno, long timeNs, int uid, int gid, long pid, String process, long ino,
                         String path, String path2, long[] values) {

    public AuditEvent {
        Objects.requireNonNull(kind, "kind");
        process = process == null ? "" : process;
        path = path == null ? "" : path;
        path2 = path2 == null ? "" : path2;
        values = values == null ? new long[0] : values;
    }

    public Instant time() {
        return Instant.ofEpochSecond(0, timeNs);
    }

    /** The number named {@code name}, or -1 if this kind has none of that name. */
    public long value(String name) {
        int i = kind.valueNames().indexOf(name);
        return i >= 0 && i < values.length ? values[i] : -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditEvent e && kind == e.kind && errno == e.errno && timeNs == e.timeNs && uid == e.uid
                && gid == e.gid && pid == e.pid && ino == e.ino && process.equals(e.process) && path.equals(e.path)
                && path2.equals(e.path2) && Arrays.equals(values, e.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, errno, timeNs, uid, gid, pid, ino, path, path2) * 31 + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "AuditEvent[" + kind + " " + path + (path2.isEmpty() ? "" : " -> " + path2) + " errno=" + errno + " uid=" + uid
                + " pid=" + pid + " values=" + Arrays.toString(values) + "]";
    }
}
