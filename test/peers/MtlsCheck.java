// One mutual-TLS exchange between a JSSE server and a JSSE client on
// 127.0.0.1, each loading PKCS#12 keystores and truststores as Spring Boot's
// server.ssl and Spinnaker's ok-http-client do.
//
// java MtlsCheck.java <serverKeystore> <pass> <serverTruststore> <pass> <clientKeystore|-> <pass|-> <clientTruststore> <pass> <hostname>
// Prints "OK <client subject seen by the server>" and exits 0, or "REFUSED <reason>" and exits 3.
import java.io.*;
import java.net.*;
import java.security.KeyStore;
import java.util.concurrent.*;
import javax.net.ssl.*;

public class MtlsCheck {
    static KeyStore load(String path, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }

    static SSLContext context(String keystore, String keyPass, String truststore, String trustPass) throws Exception {
        KeyManager[] kms = null;
        if (!keystore.equals("-")) {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(keystore, keyPass), keyPass.toCharArray());
            kms = kmf.getKeyManagers();
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(truststore, trustPass));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tmf.getTrustManagers(), null);
        return ctx;
    }

    public static void main(String[] a) throws Exception {
        SSLContext serverCtx = context(a[0], a[1], a[2], a[3]);
        SSLContext clientCtx = context(a[4], a[5], a[6], a[7]);
        String hostname = a[8];
        SSLServerSocket server = (SSLServerSocket) serverCtx.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        server.setNeedClientAuth(true);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> accepted = pool.submit(() -> {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.startHandshake();
                String peer = s.getSession().getPeerPrincipal().getName();
                PrintWriter out = new PrintWriter(new OutputStreamWriter(s.getOutputStream(), "UTF-8"), true);
                out.println("hello " + peer);
                return peer;
            }
        });
        int code = 0;
        try (Socket plain = new Socket("127.0.0.1", server.getLocalPort())) {
            plain.setSoTimeout(10000);
            SSLSocket client = (SSLSocket) clientCtx.getSocketFactory().createSocket(plain, hostname, server.getLocalPort(), true);
            SSLParameters params = client.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            client.setSSLParameters(params);
            client.startHandshake();
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), "UTF-8"));
            String line = in.readLine();
            if (line == null) throw new IOException("server closed the connection");
            System.out.println("OK " + accepted.get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            String reason = e.toString();
            try {
                accepted.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException se) {
                reason = se.getCause().toString();
            } catch (Exception ignored) {
            }
            System.out.println("REFUSED " + reason);
            code = 3;
        } finally {
            server.close();
            pool.shutdownNow();
        }
        System.exit(code);
    }
}
