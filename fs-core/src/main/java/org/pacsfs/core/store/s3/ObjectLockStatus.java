package org.pacsfs.core.store.s3;

/**
 * Whether a bucket has S3 Object Lock, as the server answered GetObjectLockConfiguration.
 *
 * @param enabled Object Lock is enabled on the bucket (objects can be given a retention the server enforces)
 * @param detail  what the server said, for the user: the default retention rule, or the error it answered with
 */
public record ObjectLockStatus(boolean enabled, String detail) {
}
