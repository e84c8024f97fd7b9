package org.pacsfs.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated tests against a real S3 server: declare a parameter of type {@link
 * S3TestBucket} on a test or {@code @BeforeEach} method to get a fresh, empty bucket, or of type
 * {@link org.pacsfs.core.store.embedded.S3ProxyProcess} for the server itself. See {@link S3ProxyExtension}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(S3ProxyExtension.class)
public @interface WithS3Proxy {}
