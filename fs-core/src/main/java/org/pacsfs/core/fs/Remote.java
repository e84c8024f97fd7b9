package org.pacsfs.core.fs;

import java.util.Objects;
import org.pacsfs.core.lease.LeaseConfig;
import org.pacsfs.core.store.ObjectStore;

/**
 * The bucket side of a filesystem: where it lives and how the write-log is shipped there.
 *
 * @param store           the object store (S3 or a test store); not closed by the filesystem
 * @param prefix          key prefix of the filesystem in the bucket ("" for the whole bucket)
 * @param ship            flusher settings
 * @param lease           single-writer lease settings
 * @param takeOver        take over a lease held by someone else (explicit operator decision, {@code --take-over})
 * @param chunkCacheBytes memory for decoded chunks read back from the bucket. Default 256 MiB; at least 8 MiB.
 */
public record Remote(ObjectStore store, String prefix, ShipConfig ship, LeaseConfig lease, boolean takeOver, long chunkCacheBytes) {
    public Remote {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(ship, "ship");
        Objects.requireNonNull(lease, "lease");
        if (chunkCacheBytes < (8 << 20)) {
            throw new IllegalArgumentException("chunkCacheBytes must be at least 8 MiB, was " + chunkCacheBytes);
        }
    }

    public static Remote of(ObjectStore store, String prefix) {
        return new Remote(store, prefix, ShipConfig.defaults(), LeaseConfig.defaults(), false, 256L << 20);
    }

    public Remote withShip(ShipConfig v) {
        return new Remote(store, prefix, v, lease, takeOver, chunkCacheBytes);
    }

    public Remote withLease(LeaseConfig v) {
        return new Remote(store, prefix, ship, v, takeOver, chunkCacheBytes);
    }

    public Remote withTakeOver(boolean v) {
        return new Remote(store, prefix, ship, lease, v, chunkCacheBytes);
    }
}
