package spinnakermtls.korkpeer;

import com.netflix.spectator.api.Registry;
import com.netflix.spinnaker.config.DefaultServiceEndpoint;
import com.netflix.spinnaker.config.OkHttp3ClientConfiguration;
import com.netflix.spinnaker.config.okhttp3.OkHttpClientProvider;
import com.netflix.spinnaker.kork.jedis.JedisDriverProperties;
import com.netflix.spinnaker.kork.jedis.JedisPoolFactory;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.servlet.http.HttpServletRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.Pool;

/**
 * What the test asks a running peer. Every answer is a JSON object; a failure
 * is a 502 whose "error" lists the exception chain, so the test can tell a
 * PKIX failure from a refused handshake.
 */
@RestController
public class PeerController {
  private final Environment environment;
  private final OkHttp3ClientConfiguration okHttp3ClientConfiguration;
  private final OkHttpClientProvider okHttpClientProvider;
  private final ObjectProvider<OkHttpClient.Builder> customizedBuilder;
  private final Registry registry;

  public PeerController(
      Environment environment,
      OkHttp3ClientConfiguration okHttp3ClientConfiguration,
      OkHttpClientProvider okHttpClientProvider,
      ObjectProvider<OkHttpClient.Builder> customizedBuilder,
      Registry registry) {
    this.environment = environment;
    this.okHttp3ClientConfiguration = okHttp3ClientConfiguration;
    this.okHttpClientProvider = okHttpClientProvider;
    this.customizedBuilder = customizedBuilder;
    this.registry = registry;
  }

  /** Which service answered, and the client certificate the TLS handshake saw. */
  @GetMapping("/whoami")
  public Map<String, Object> whoami(HttpServletRequest request) {
    var chain = (X509Certificate[]) request.getAttribute("javax.servlet.request.X509Certificate");
    var out = new LinkedHashMap<String, Object>();
    out.put("service", environment.getProperty("spring.application.name"));
    out.put("clientCertificate", chain == null || chain.length == 0 ? null : chain[0].getSubjectX500Principal().getName());
    return out;
  }

  /**
   * The OkHttp client kork builds along each of its paths, all from
   * ok-http-client.*: OkHttp3ClientConfiguration (Retrofit 2 and Retrofit 1
   * clients), OkHttpClientProvider (service clients by ServiceEndpoint) and
   * the customized builder of OkHttpClientComponents.
   */
  private OkHttpClient client(String via, String url) {
    switch (via) {
      case "retrofit2":
        return okHttp3ClientConfiguration.createForRetrofit2().build();
      case "retrofit1":
        return okHttp3ClientConfiguration.create().build();
      case "service-endpoint":
        return okHttpClientProvider.getClient(new DefaultServiceEndpoint("peer", url));
      case "customized-builder":
        return customizedBuilder.getObject().build();
      default:
        throw new IllegalArgumentException("unknown client path " + via);
    }
  }

  @GetMapping("/call")
  public ResponseEntity<Map<String, Object>> call(@RequestParam String url, @RequestParam String via) {
    var out = new LinkedHashMap<String, Object>();
    try (Response response = client(via, url).newCall(new Request.Builder().url(url).build()).execute()) {
      out.put("status", response.code());
      out.put("body", response.body() == null ? "" : response.body().string());
      return ResponseEntity.ok(out);
    } catch (Exception e) {
      out.put("error", chain(e));
      return ResponseEntity.status(502).body(out);
    }
  }

  /** SHA-256 fingerprints (hex) of the roots the client's trust manager accepts. */
  @GetMapping("/okhttp-trust")
  public ResponseEntity<Map<String, Object>> trust(@RequestParam String via) throws Exception {
    var trustManager = client(via, "https://peer.invalid/").x509TrustManager();
    var fingerprints = new ArrayList<String>();
    var sha256 = MessageDigest.getInstance("SHA-256");
    for (X509Certificate c : trustManager.getAcceptedIssuers()) fingerprints.add(HexFormat.of().formatHex(sha256.digest(c.getEncoded())));
    return ResponseEntity.ok(Map.of("acceptedIssuers", fingerprints));
  }

  /** PING over kork's Jedis pool for redis.connection, which uses the JVM-wide SSL context. */
  @GetMapping("/redis-ping")
  public ResponseEntity<Map<String, Object>> redisPing() {
    var properties = new JedisDriverProperties();
    properties.connection = environment.getRequiredProperty("redis.connection");
    var out = new LinkedHashMap<String, Object>();
    try (Pool<Jedis> pool = new JedisPoolFactory(registry).build("default", properties, new GenericObjectPoolConfig<>());
        Jedis jedis = pool.getResource()) {
      out.put("reply", jedis.ping());
      return ResponseEntity.ok(out);
    } catch (Exception e) {
      out.put("error", chain(e));
      return ResponseEntity.status(502).body(out);
    }
  }

  private static List<String> chain(Throwable e) {
    var out = new ArrayList<String>();
    for (Throwable t = e; t != null && out.size() < 10; t = t.getCause()) out.add(t.getClass().getName() + ": " + t.getMessage());
    return out;
  }
}
