package org.pacsfs.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.pacsfs.core.store.embedded.S3ProxyProcess;

/**
 * JUnit 5 extension that gives tests a real S3 server (S3Proxy as a child process, see {@link
 * S3ProxyProcess}). Use it through {@link WithS3Proxy}.
 *
 * <ul>
 *   <li>One server per test JVM, started on first use and kept in the root context's store, so
 *       JUnit stops it when the whole run ends, whether tests passed or failed (the server's own
 *       shutdown hook covers a JVM that exits otherwise).
 *   <li>A parameter of type {@link S3TestBucket} is a fresh bucket per test method; a {@code
 *       @BeforeEach} method and the test method of one test share it. Injected into a
 *       {@code @BeforeAll} method it is one bucket per class.
 *   <li>The S3Proxy jar comes from the system property {@value #JAR_PROPERTY} (set by the build, see
 *       the {@code copy-s3proxy} execution of maven-dependency-plugin in the parent pom), else from
 *       the local Maven repository.
 * </ul>
 */
public final class S3ProxyExtension implements ParameterResolver {

    /** The system property naming the S3Proxy {@code jar-with-dependencies}. */
    public static final String JAR_PROPERTY = "pacsfs.s3proxy.jar";

    static final String S3PROXY_VERSION = "4.1.0";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(S3ProxyExtension.class);
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == S3TestBucket.class || type == S3ProxyProcess.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        S3ProxyProcess server = server(context);
        if (parameter.getParameter().getType() == S3ProxyProcess.class) {
            return server;
        }
        return context.getStore(NAMESPACE)
                .getOrComputeIfAbsent(S3TestBucket.class, k -> newBucket(server, context), S3TestBucket.class);
    }

    private static S3ProxyProcess server(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(S3ProxyProcess.class, k -> startServer(), S3ProxyProcess.class);
    }

    private static S3ProxyProcess startServer() {
        // The root store closes AutoCloseable values at the end of the run: that is what stops the server.
        return S3ProxyProcess.builder(locateJar()).start();
    }

    private static S3TestBucket newBucket(S3ProxyProcess server, ExtensionContext context) {
        String name = bucketName(BUCKETS.incrementAndGet(), context.getTestMethod()
                .map(m -> m.getName()).orElse(context.getRequiredTestClass().getSimpleName()));
        server.createBucket(name);
        return new S3TestBucket(server, name);
    }

    /** A valid, unique and readable bucket name: {@code t<n>-<test name>}, lower case, at most 63 characters. */
    static String bucketName(int number, String testName) {
        String cleaned = testName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        String name = ("t" + number + "-" + cleaned).replaceAll("-+$", "");
        return name.length() <= 63 ? name : name.substring(0, 63).replaceAll("-+$", "");
    }

    static Path locateJar() {
        String configured = System.getProperty(JAR_PROPERTY);
        if (configured != null && Files.isRegularFile(Path.of(configured))) {
            return Path.of(configured);
        }
        Path fallback = localRepository().resolve(
                "org/gaul/s3proxy/" + S3PROXY_VERSION + "/s3proxy-" + S3PROXY_VERSION + "-jar-with-dependencies.jar");
        if (Files.isRegularFile(fallback)) {
            return fallback;
        }
        throw new ExtensionConfigurationException("S3Proxy jar not found: system property " + JAR_PROPERTY + " is "
                + (configured == null ? "not set" : "'" + configured + "', which is not a file")
                + ", and the fallback " + fallback + " does not exist. Add the maven-dependency-plugin with its"
                + " copy-s3proxy execution to this module's pom (as fs-core/pom.xml does), or run"
                + " 'mvn dependency:get -Dartifact=org.gaul:s3proxy:" + S3PROXY_VERSION
                + ":jar:jar-with-dependencies'.");
    }

    private static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        return configured != null ? Path.of(configured) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }
}
