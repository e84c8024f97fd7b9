package org.pacsfs.it.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A byte- and request-counting HTTP/1.1 proxy on a free loopback port, in front of one S3 server, for the benchmark.
 * Unlike {@code it/faults/FaultProxy} (store-and-forward: it holds each body in memory so that it can cut or fake it)
 * this one streams bodies through a 64 KiB buffer, so that 128 MiB range GETs of rclone or 1 GiB of shipping neither
 * sit in the proxy's heap nor wait for the whole body before the first byte goes on; and it counts requests per
 * HTTP method (PUT, POST, GET, HEAD, DELETE), which the PUTs-per-file target needs. Keep-alive, Content-Length and
 * chunked bodies, {@code Expect: 100-continue} (answered here, forwarded without it). An optional fixed delay per
 * request stands in for the round trip to a real S3 endpoint (S3Proxy on loopback answers in well under a millisecond).
 */
final class CountingProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final URI upstream;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "counting-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<String, LongAdder> perMethod = new ConcurrentHashMap<>();
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private final long latencyMillis;

    /** {@code latencyMillis}: added before each request is forwarded (0 = none). */
    CountingProxy(URI upstream, long latencyMillis) throws IOException {
        if (latencyMillis < 0) {
            throw new IllegalArgumentException("latencyMillis must be >= 0, got " + latencyMillis);
        }
        this.upstream = upstream;
        this.latencyMillis = latencyMillis;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        pool.execute(this::acceptLoop);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Requests so far per method, sorted by method name. */
    Map<String, Long> requests() {
        Map<String, Long> m = new TreeMap<>();
        perMethod.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Bytes sent towards S3 (request heads and bodies). */
    long bytesUp() {
        return bytesUp.get();
    }

    /** Bytes received from S3 (response heads and bodies). */
    long bytesDown() {
        return bytesDown.get();
    }

    @Override
    public void close() {
        closeQuietly(listener);
        for (Socket s : open) {
            closeQuietly(s);
        }
        pool.shutdownNow();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                pool.execute(() -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        open.add(client);
        try (client; Socket server = new Socket(upstream.getHost(), upstream.getPort())) {
            open.add(server);
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            InputStream cin = client.getInputStream();
            OutputStream cout = client.getOutputStream();
            InputStream sin = server.getInputStream();
            OutputStream sout = server.getOutputStream();
            byte[] buf = new byte[65536];
            while (true) {
                Head request = Head.read(cin);
                if (request == null) {
                    return;
                }
                perMethod.computeIfAbsent(request.method, k -> new LongAdder()).increment();
                if (latencyMillis > 0) {
                    Thread.sleep(latencyMillis);
                }
                if (request.expectContinue) {
                    cout.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    cout.flush();
                }
                sout.write(request.raw);
                long up = request.raw.length + relayBody(cin, sout, request, false, buf);
                sout.flush();
                bytesUp.addAndGet(up);
                Head response = Head.read(sin);
                if (response == null) {
                    return;
                }
                cout.write(response.raw);
                boolean noBody = request.method.equals("HEAD") || response.status == 204 || response.status == 304
                        || (response.status >= 100 && response.status < 200);
                long down = response.raw.length + (noBody ? 0 : relayBody(sin, cout, response, true, buf));
                cout.flush();
                bytesDown.addAndGet(down);
                if (response.closes || request.closes) {
                    return;
                }
            }
        } catch (IOException e) {
            // one side closed the connection: the other sees it closed too
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(client);
        }
    }

    /** Copies a body framed by Content-Length or chunked encoding (a response with neither: until EOF); returns bytes. */
    private static long relayBody(InputStream in, OutputStream out, Head head, boolean response, byte[] buf) throws IOException {
        long n = 0;
        if (head.chunked) {
            while (true) {
                String sizeLine = readLine(in);
                byte[] line = (sizeLine + "\r\n").getBytes(StandardCharsets.US_ASCII);
                out.write(line);
                n += line.length;
                long size = Long.parseLong(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    String trailer;
                    do {
                        trailer = readLine(in);
                        byte[] t = (trailer + "\r\n").getBytes(StandardCharsets.US_ASCII);
                        out.write(t);
                        n += t.length;
                    } while (!trailer.isEmpty());
                    return n;
                }
                n += copy(in, out, size + 2, buf);
            }
        } else if (head.contentLength >= 0) {
            return copy(in, out, head.contentLength, buf);
        } else if (response) {
            int r;
            while ((r = in.read(buf)) != -1) {
                out.write(buf, 0, r);
                n += r;
            }
        }
        return n;
    }

    private static long copy(InputStream in, OutputStream out, long len, byte[] buf) throws IOException {
        long left = len;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("body ended early");
            }
            out.write(buf, 0, r);
            left -= r;
        }
        return len;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                line.write(c);
            }
        }
        if (c == -1 && line.size() == 0) {
            throw new IOException("connection closed");
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is all we wanted
        }
    }

    /** A request or response head, kept raw to be relayed unchanged (but for Expect, which is answered here). */
    private static final class Head {
        byte[] raw;
        String method = "";
        int status;
        long contentLength = -1;
        boolean chunked;
        boolean closes;
        boolean expectContinue;

        static Head read(InputStream in) throws IOException {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            int matched = 0;
            int c;
            while (matched < 4) {
                c = in.read();
                if (c == -1) {
                    return null;
                }
                raw.write(c);
                matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3)) ? matched + 1
                        : (c == '\r' ? 1 : 0);
            }
            Head h = new Head();
            h.raw = raw.toByteArray();
            String[] lines = raw.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            String[] first = lines[0].split(" ");
            if (first[0].startsWith("HTTP/")) {
                h.status = Integer.parseInt(first[1]);
            } else {
                h.method = first[0].toUpperCase(Locale.ROOT);
            }
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> h.contentLength = Long.parseLong(value);
                    case "transfer-encoding" -> h.chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> h.closes = value.equalsIgnoreCase("close");
                    case "expect" -> h.expectContinue = value.equalsIgnoreCase("100-continue");
                    default -> { }
                }
            }
            if (h.expectContinue) {
                StringBuilder b = new StringBuilder();
                for (String line : lines) {
                    if (!line.toLowerCase(Locale.ROOT).startsWith("expect:")) {
                        b.append(line).append("\r\n");
                    }
                }
                h.raw = b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            }
            return h;
        }
    }
}
