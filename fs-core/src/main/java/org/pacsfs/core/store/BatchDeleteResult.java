package org.pacsfs.core.store;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link ObjectStore#deleteAll}: the keys that are gone (absent keys included) and
 * the keys the server refused, each with its reason.
 */
public record BatchDeleteResult(List<String> deleted, List<Failure> failures) {

    public BatchDeleteResult {
        deleted = List.copyOf(deleted);
        failures = List.copyOf(failures);
    }

    /** Whether every key was deleted. */
    public boolean isComplete() {
        return failures.isEmpty();
    }

    /** One key the server did not delete, with the S3 error code and message it gave. */
    public record Failure(String key, String errorCode, String message) {
        public Failure {
            Objects.requireNonNull(key, "key");
        }
    }
}
