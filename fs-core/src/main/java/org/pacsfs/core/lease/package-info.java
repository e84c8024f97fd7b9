/**
 * The single-writer lease: one object in the bucket ({@link org.pacsfs.core.lease.LeaseRecord},
 * encoded by {@link org.pacsfs.core.lease.LeaseCodec}) that a read-write mount must hold, moved only
 * by conditional puts. {@link org.pacsfs.core.lease.Lease#acquire} takes it at mount time, a background
 * task renews it, {@link org.pacsfs.core.lease.Lease#release()} gives it back at a clean unmount.
 * Store outages never lose it; only finding it taken over or deleted does. Rules and reasons:
 * docs/DECISIONS.md ("Lease"); format: docs/FORMAT.md ("lease").
 */
package org.pacsfs.core.lease;
