package org.pacsfs.core.store;

import java.util.List;

/**
 * One page of a listing.
 *
 * @param objects the entries of this page (see {@link ObjectStore#list} for their order)
 * @param nextContinuationToken the opaque token for the next page, or {@code null} if this is the last
 */
public record ListPage(List<ObjectInfo> objects, String nextContinuationToken) {

    public ListPage {
        objects = List.copyOf(objects);
    }

    /** Whether more pages follow. */
    public boolean isTruncated() {
        return nextContinuationToken != null;
    }
}
