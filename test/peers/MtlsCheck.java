// One mutual-TLS exchange between a JSSE server and a JSSE client on
// 127.0.0.1, each loading keystores and truststores as Spring Boot's
// server.ssl and Spinnaker's ok-http-client do: PKCS#12 unless four store
// types follow the hostname (what their key-store-type/trust-store-type say,
// e.g. JKS for the Otterize operator's stores).
//
// java MtlsCheck.java <serverKeystore> <pass> <serverTruststore> <pass> <clientKeystore|-> <pass|-> <clientTruststore> <pass> <hostname>
//      [<serverKeystoreType> <serverTruststoreType> <clientKeystoreType> <clientTruststoreType>]
// Prints "OK <client subject seen by the server>" and exits 0, or "REFUSED <reason>" and exits 3.
import java.io.*;
import java.net.*;
import java.security.KeyStore;
import java.util.concurrent.*;
import javax.net.ssl.*;

public class MtlsCheck {
    static KeyStore load(String path, String password, String type) throws Exception {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }

    static SSLContext context(String keystore, String keyPass, String keyType, String truststore, String trustPass, String trustType) throws Exception {
        KeyManager[] kms = null;
        if (!keystore.equals("-")) {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(keystore, keyPass, keyType), keyPass.toCharArray());
            kms = kmf.getKeyManagers();
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(truststore, trustPass, trustType));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tmf.getTrustManagers(), null);
        return ctx;
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 9 && a.length != 13) throw new IllegalArgumentException("expected 9 arguments, or 13 with the store types");
        String[] types = a.length == 13 ? new String[] {a[9], a[10], a[11], a[12]} : new String[] {"PKCS12", "PKCS12", "PKCS12", "PKCS12"};
        SSLContext serverCtx = context(a[0], a[1], types[0], a[2], a[3], types[1]);
        SSLContext clientCtx = context(a[4], a[5], types[2], a[6], a[7], types[3]);
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
