package org.pacsfs.core.store;

import java.util.Objects;

/**
 * The precondition of a put. S3 evaluates it atomically with the write; a put whose condition does
 * not hold fails with {@link ObjectStoreException.PreconditionFailed} and changes nothing.
 */
public sealed interface PutCondition {

    /** Write unconditionally (last writer wins). */
    static PutCondition none() {
        return None.INSTANCE;
    }

    /** {@code If-None-Match: *}: write only if no object exists under the key (create-once, commit points). */
    static PutCondition ifNoneMatch() {
        return IfNoneMatch.INSTANCE;
    }

    /** {@code If-Match: etag}: write only if the current object has this ETag (compare-and-set). */
    static PutCondition ifMatch(String etag) {
        return new IfMatch(etag);
    }

    /** No precondition. */
    enum None implements PutCondition {
        INSTANCE;

        @Override
        public String toString() {
            return "unconditional";
        }
    }

    /** {@code If-None-Match: *}. */
    enum IfNoneMatch implements PutCondition {
        INSTANCE;

        @Override
        public String toString() {
            return "If-None-Match: *";
        }
    }

    /** {@code If-Match: etag}. */
    record IfMatch(String etag) implements PutCondition {
        public IfMatch {
            Objects.requireNonNull(etag, "etag");
            if (etag.isEmpty()) {
                throw new IllegalArgumentException("If-Match needs a non-empty ETag");
            }
        }

        @Override
        public String toString() {
            return "If-Match: " + etag;
        }
    }
}
