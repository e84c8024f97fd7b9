package org.pacsfs.core.store.s3;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.store.PutCondition;

/** Every PUT carries the configured server-side encryption headers (seen by a recording HTTP server on port 0). */
class S3ObjectStoreSseTest {

    private HttpServer server;
    private final Map<String, List<String>> lastPutHeaders = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            if (exchange.getRequestMethod().equals("PUT")) {
                lastPutHeaders.clear();
                exchange.getRequestHeaders().forEach((k, v) -> lastPutHeaders.put(k.toLowerCase(), v));
            }
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("ETag", "\"0123\"");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void put(ServerSideEncryption sse) {
        S3Config config = S3Config.builder().endpoint(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .bucket("bucket").pathStyle(true).credentials(S3Credentials.of("id", "secret"))
                .checksums(ChecksumPolicy.WHEN_REQUIRED).sse(sse).build();
        try (S3ObjectStore store = S3ObjectStore.open(config)) {
            store.put("chunks/x", ByteBuffer.wrap(new byte[] {1, 2, 3}), PutCondition.none());
        }
    }

    @Test
    void noneSendsNoHeader() {
        put(ServerSideEncryption.NONE);
        assertThat(lastPutHeaders).doesNotContainKey("x-amz-server-side-encryption");
    }

    @Test
    void sseS3AsksForAes256() {
        put(ServerSideEncryption.S3);
        assertThat(lastPutHeaders.get("x-amz-server-side-encryption")).containsExactly("AES256");
    }

    @Test
    void sseKmsNamesTheKey() {
        put(ServerSideEncryption.kms("arn:aws:kms:eu-west-1:111122223333:key/abcd"));
        assertThat(lastPutHeaders.get("x-amz-server-side-encryption")).containsExactly("aws:kms");
        assertThat(lastPutHeaders.get("x-amz-server-side-encryption-aws-kms-key-id"))
                .containsExactly("arn:aws:kms:eu-west-1:111122223333:key/abcd");
    }
}
