package org.pacsfs.core.store;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** Walks all pages of a listing, fetching the next page only when the current one is used up. Not thread-safe. */
final class ListingIterator implements Iterator<ObjectInfo> {
    private final ObjectStore store;
    private final String prefix;
    private final int pageSize;
    private final ArrayDeque<ObjectInfo> buffered = new ArrayDeque<>();
    private String token;
    private boolean lastPageFetched;

    ListingIterator(ObjectStore store, String prefix, int pageSize) {
        this.store = store;
        this.prefix = prefix;
        this.pageSize = pageSize;
    }

    @Override
    public boolean hasNext() {
        // A page may be empty while more follow, so keep fetching until something arrives or the end.
        while (buffered.isEmpty() && !lastPageFetched) {
            fetchPage();
        }
        return !buffered.isEmpty();
    }

    @Override
    public ObjectInfo next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more objects under prefix '" + prefix + "'");
        }
        return buffered.removeFirst();
    }

    private void fetchPage() {
        ListPage page = store.list(prefix, token, pageSize);
        buffered.addAll(page.objects());
        token = page.nextContinuationToken();
        lastPageFetched = token == null;
    }
}
