package org.pacsfs.core.store.s3;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.PutCondition;

/**
 * Object Lock on the wire (a recording HTTP server on port 0 stands in for a bucket with Object Lock, which no server
 * available here has): the probe reads the configuration; a locking view sends the mode, the retain-until date and a
 * checksum on PUTs of the keys it locks, and nothing on the others; the plain store never sends them.
 */
class S3ObjectStoreObjectLockTest {

    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
    private HttpServer server;
    private volatile String lockConfiguration;
    private volatile int lockStatus = 200;
    private final Map<String, Map<String, List<String>>> putHeaders = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            if (exchange.getRequestMethod().equals("GET") && "object-lock".equals(exchange.getRequestURI().getRawQuery())) {
                byte[] body = lockConfiguration.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(lockStatus, body.length);
                exchange.getResponseBody().write(body);
            } else {
                if (exchange.getRequestMethod().equals("PUT")) {
                    Map<String, List<String>> h = new ConcurrentHashMap<>();
                    exchange.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(), v));
                    putHeaders.put(exchange.getRequestURI().getPath(), h);
                }
                exchange.getResponseHeaders().add("ETag", "\"0123\"");
                exchange.sendResponseHeaders(200, -1);
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private S3ObjectStore store() {
        return store(ChecksumPolicy.WHEN_REQUIRED);
    }

    private S3ObjectStore store(ChecksumPolicy checksums) {
        return S3ObjectStore.open(S3Config.builder().endpoint(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .bucket("bucket").pathStyle(true).credentials(S3Credentials.of("id", "secret"))
                .checksums(checksums).build());
    }

    @Test
    void aCrc32cTheCallerKnowsIsSentAsIsAndAnUnknownOneIsComputed() {
        byte[] body = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII); // CRC32C 0xE3069283
        try (S3ObjectStore s = store(ChecksumPolicy.WHEN_SUPPORTED)) {
            s.put("chunks/ab/known", ByteBuffer.wrap(body), PutCondition.ifNoneMatch(), 0x12345678);
            s.put("chunks/ab/computed", ByteBuffer.wrap(body), PutCondition.ifNoneMatch());
        }
        // the known value is trusted (a server that checks it would refuse this body): no second pass over the bytes
        assertThat(putHeaders.get("/bucket/chunks/ab/known").get("x-amz-checksum-crc32c")).containsExactly("EjRWeA==");
        assertThat(putHeaders.get("/bucket/chunks/ab/computed").get("x-amz-checksum-crc32c")).containsExactly("4waSgw==");
    }

    @Test
    void theProbeReadsAnEnabledConfiguration() {
        lockConfiguration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days>"
                + "</DefaultRetention></Rule></ObjectLockConfiguration>";
        try (S3ObjectStore s = store()) {
            ObjectLockStatus st = s.objectLock();
            assertThat(st.enabled()).isTrue();
            assertThat(st.detail()).contains("Object Lock is enabled on bucket bucket");
        }
    }

    @Test
    void theProbeReportsAServerWithoutObjectLock() {
        lockStatus = 501;
        lockConfiguration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NotImplemented</Code><Message>no</Message></Error>";
        try (S3ObjectStore s = store()) {
            ObjectLockStatus st = s.objectLock();
            assertThat(st.enabled()).isFalse();
            assertThat(st.detail()).contains("HTTP 501").contains("NotImplemented");
        }
    }

    @Test
    void aLockingViewSendsModeDateAndChecksumOnLockedKeysOnly() {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        try (S3ObjectStore plain = store()) {
            S3ObjectStore locked = plain.withObjectLock(new ObjectLockRetention(ObjectLockRetention.Mode.COMPLIANCE,
                    Duration.ofDays(3660), clock, k -> k.startsWith("chunks/")));
            locked.put("chunks/ab/x", ByteBuffer.wrap(new byte[] {1, 2, 3}), PutCondition.ifNoneMatch());
            locked.put("lease", ByteBuffer.wrap(new byte[] {4}), PutCondition.none());
            plain.put("chunks/ab/y", ByteBuffer.wrap(new byte[] {5}), PutCondition.none());
            locked.close();
            plain.put("chunks/ab/z", ByteBuffer.wrap(new byte[] {6}), PutCondition.none()); // the view's close left the client open
        }
        Map<String, List<String>> chunk = putHeaders.get("/bucket/chunks/ab/x");
        assertThat(chunk.get("x-amz-object-lock-mode")).containsExactly("COMPLIANCE");
        assertThat(chunk.get("x-amz-object-lock-retain-until-date")).containsExactly(NOW.plus(Duration.ofDays(3660)).toString()).containsExactly("2036-01-10T03:04:05Z");
        assertThat(chunk).containsKey("x-amz-checksum-crc32c");
        assertThat(putHeaders.get("/bucket/lease")).doesNotContainKeys("x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date");
        assertThat(putHeaders.get("/bucket/chunks/ab/y")).doesNotContainKeys("x-amz-object-lock-mode", "x-amz-checksum-crc32c");
        assertThat(putHeaders).containsKey("/bucket/chunks/ab/z");
    }
}
