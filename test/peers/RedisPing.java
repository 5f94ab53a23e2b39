// A Redis client that gets TLS the way kork's Jedis pool does for rediss://
// URLs: from SSLSocketFactory.getDefault(), i.e. the JVM-wide javax.net.ssl.*
// properties. Run it with JDK_JAVA_OPTIONS=@<argfile> as the pods do.
//
//   java RedisPing.java ping <port>     PING, SET, GET; prints "OK <PONG> <value> <local principal>", exit 0,
//                                       or "REFUSED <reason>", exit 3
//   java RedisPing.java anchors         prints "<trust anchor count> <subjects of non-public anchors>"
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.*;

public class RedisPing {
    static String command(String... args) {
        StringBuilder sb = new StringBuilder("*" + args.length + "\r\n");
        for (String a : args) sb.append("$").append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        return sb.toString();
    }

    static String reply(BufferedReader in) throws IOException {
        String line = in.readLine();
        if (line == null) throw new IOException("connection closed");
        if (line.startsWith("$")) {
            int n = Integer.parseInt(line.substring(1));
            return n < 0 ? "(nil)" : in.readLine();
        }
        return line;
    }

    public static void main(String[] a) throws Exception {
        if (a[0].equals("anchors")) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            X509Certificate[] anchors = ((X509TrustManager) tmf.getTrustManagers()[0]).getAcceptedIssuers();
            StringBuilder own = new StringBuilder();
            for (X509Certificate c : anchors) if (c.getSubjectX500Principal().getName().contains("Spinnaker")) own.append(" ").append(c.getSubjectX500Principal().getName());
            System.out.println(anchors.length + own.toString());
            return;
        }
        int port = Integer.parseInt(a[1]);
        try (SSLSocket s = (SSLSocket) SSLSocketFactory.getDefault().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10000);
            s.startHandshake();
            Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.UTF_8);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            out.write(command("PING") + command("SET", "spinnaker-mtls:java", "jsse") + command("GET", "spinnaker-mtls:java"));
            out.flush();
            String pong = reply(in), set = reply(in), got = reply(in);
            if (!pong.equals("+PONG") || !set.equals("+OK")) throw new IOException("unexpected replies " + pong + " " + set);
            System.out.println("OK " + pong.substring(1) + " " + got + " " + s.getSession().getLocalPrincipal());
        } catch (Exception e) {
            System.out.println("REFUSED " + e);
            System.exit(3);
        }
    }
}
