package org.pacsfs.it.faults;

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
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault-injecting HTTP/1.1 proxy on a free loopback port, in front of a real S3 server, so that the real HTTP client
 * of pacsfs meets real faults on real TCP: 500 and 503 SlowDown answers, connection resets, stalled responses,
 * truncated bodies, and a full outage (connections refused). It also counts requests and bytes in each direction
 * (for the benchmark harness). Requests are relayed one at a time per connection (keep-alive supported), bodies by
 * Content-Length or chunked encoding.
 */
public final class FaultProxy implements AutoCloseable {

    /** What can go wrong with one request. */
    public enum Fault { ERROR_500, SLOW_DOWN_503, RESET, STALL, TRUNCATE }

    private final ServerSocket listener;
    private final URI upstream;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private final Random random = new Random();
    private volatile double faultProbability;
    private volatile long stallMillis = 3000;
    private volatile boolean down;
    /** Canned answers (see {@link #answer}) and recorded request heads (see {@link #recordRequests}). */
    private final Map<String, byte[]> canned = new ConcurrentHashMap<>();
    private final java.util.Queue<String> recorded = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean recording;

    public FaultProxy(URI upstream) throws IOException {
        this.upstream = upstream;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        for (Fault f : Fault.values()) {
            injected.put(f, new AtomicLong());
        }
        pool.execute(this::acceptLoop);
    }

    /** The proxy's endpoint, to give pacsfs instead of the server's. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Each request meets one of the faults (chosen uniformly) with this probability. */
    public void faultProbability(double p) {
        this.faultProbability = p;
    }

    public void stallMillis(long ms) {
        this.stallMillis = ms;
    }

    /** An outage: while down, every connection is closed at once and open ones are cut. */
    public void down(boolean down) {
        this.down = down;
        if (down) {
            for (Socket s : open) {
                closeQuietly(s);
            }
        }
    }

    /**
     * Answers every request whose request line contains {@code requestLinePart} (e.g. {@code "?object-lock"}) with this
     * status and XML body instead of relaying it: lets a test give the server a feature it lacks (a bucket with Object
     * Lock, which S3Proxy has not).
     */
    public void answer(String requestLinePart, int status, String xml) {
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " Canned\r\nContent-Type: application/xml\r\nContent-Length: " + body.length + "\r\n\r\n";
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(body);
        canned.put(requestLinePart, b.toByteArray());
    }

    /** From now on, keeps the head (request line and headers) of every request, for {@link #requestHeads()}. */
    public void recordRequests() {
        recording = true;
    }

    /** The heads of the requests seen since {@link #recordRequests()}, in arrival order. */
    public java.util.List<String> requestHeads() {
        return java.util.List.copyOf(recorded);
    }

    public long requests() {
        return requests.get();
    }

    public long bytesUp() {
        return bytesUp.get();
    }

    public long bytesDown() {
        return bytesDown.get();
    }

    public long injected(Fault f) {
        return injected.get(f).get();
    }

    public long injectedTotal() {
        return injected.values().stream().mapToLong(AtomicLong::get).sum();
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
                if (down) {
                    closeQuietly(client);
                    continue;
                }
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
            InputStream cin = client.getInputStream();
            OutputStream cout = client.getOutputStream();
            InputStream sin = server.getInputStream();
            OutputStream sout = server.getOutputStream();
            while (!down) {
                Head request = Head.read(cin);
                if (request == null) {
                    return;
                }
                requests.incrementAndGet();
                if (request.expectContinue) {
                    // Answer the client's Expect: 100-continue ourselves and forward the request without it.
                    cout.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    cout.flush();
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                readBody(cin, request, body, false);
                bytesUp.addAndGet(request.raw.length + body.size());
                String requestHead = recording || !canned.isEmpty() ? new String(request.raw, StandardCharsets.ISO_8859_1) : null;
                if (recording) {
                    recorded.add(requestHead);
                }
                byte[] answer = requestHead == null ? null : cannedFor(requestHead);
                if (answer != null) {
                    cout.write(answer);
                    cout.flush();
                    continue;
                }
                Fault fault = pick();
                if (fault == Fault.ERROR_500 || fault == Fault.SLOW_DOWN_503) {
                    boolean slow = fault == Fault.SLOW_DOWN_503;
                    byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + (slow ? "SlowDown" : "InternalError")
                            + "</Code><Message>injected by the test proxy</Message></Error>").getBytes(StandardCharsets.UTF_8);
                    String head = "HTTP/1.1 " + (slow ? "503 Slow Down" : "500 Internal Server Error") + "\r\nContent-Type: application/xml\r\n"
                            + "Content-Length: " + xml.length + "\r\n\r\n";
                    cout.write(head.getBytes(StandardCharsets.US_ASCII));
                    cout.write(xml);
                    cout.flush();
                    continue;
                }
                if (fault == Fault.RESET) {
                    client.setSoLinger(true, 0); // close with RST
                    return;
                }
                if (fault == Fault.STALL) {
                    Thread.sleep(stallMillis);
                }
                sout.write(request.raw);
                body.writeTo(sout);
                sout.flush();
                Head response = Head.read(sin);
                if (response == null) {
                    return;
                }
                ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
                boolean noBody = request.method.equals("HEAD") || response.status == 204 || response.status == 304
                        || (response.status >= 100 && response.status < 200);
                if (!noBody) {
                    readBody(sin, response, responseBody, true);
                }
                cout.write(response.raw);
                if (fault == Fault.TRUNCATE && responseBody.size() > 1) {
                    cout.write(responseBody.toByteArray(), 0, responseBody.size() / 2);
                    cout.flush();
                    client.setSoLinger(true, 0);
                    return;
                }
                responseBody.writeTo(cout);
                cout.flush();
                bytesDown.addAndGet(response.raw.length + responseBody.size());
                if (response.closes || request.closes) {
                    return;
                }
            }
        } catch (IOException e) {
            // The client or the server closed, or we cut it (outage): the client sees a broken connection.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(client);
        }
    }

    private byte[] cannedFor(String head) {
        String requestLine = head.substring(0, Math.max(0, head.indexOf('\r')));
        for (Map.Entry<String, byte[]> c : canned.entrySet()) {
            if (requestLine.contains(c.getKey())) {
                return c.getValue();
            }
        }
        return null;
    }

    private Fault pick() {
        synchronized (random) {
            if (random.nextDouble() >= faultProbability) {
                return null;
            }
            Fault f = Fault.values()[random.nextInt(Fault.values().length)];
            injected.get(f).incrementAndGet();
            return f;
        }
    }

    /** Reads a body framed by Content-Length or chunked encoding (or, for a response without either, until EOF). */
    private static void readBody(InputStream in, Head head, ByteArrayOutputStream out, boolean response) throws IOException {
        if (head.chunked) {
            while (true) {
                String sizeLine = readLine(in);
                out.write((sizeLine + "\r\n").getBytes(StandardCharsets.US_ASCII));
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    String trailer;
                    do {
                        trailer = readLine(in);
                        out.write((trailer + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    } while (!trailer.isEmpty());
                    return;
                }
                out.write(in.readNBytes(size + 2));
            }
        } else if (head.contentLength >= 0) {
            byte[] b = in.readNBytes((int) head.contentLength);
            if (b.length < head.contentLength) {
                throw new IOException("body ended early");
            }
            out.write(b);
        } else if (response) {
            in.transferTo(out);
        }
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

    /** A request or response head, kept raw to be relayed unchanged. */
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
                h.method = first[0];
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
