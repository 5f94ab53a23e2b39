package spinnakermtls.korkpeer;

import com.netflix.spectator.api.DefaultRegistry;
import com.netflix.spectator.api.Registry;
import com.netflix.spinnaker.config.OkHttp3ClientConfiguration;
import com.netflix.spinnaker.config.OkHttpClientComponents;
import com.netflix.spinnaker.config.RetrofitConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.security.servlet.UserDetailsServiceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * A Spinnaker-shaped Java service: Spring Boot serves HTTPS from the profile's
 * {@code server.ssl}, and every outgoing call goes through the OkHttp clients
 * kork builds from {@code ok-http-client.*}. The kork classes are wired the
 * way Spinnaker's services wire them (component scan of kork's okhttp3
 * package, kork's configuration classes); this project adds no TLS code of
 * its own, so whatever succeeds or fails here is kork's and Spring Boot's
 * verdict on the rendered settings.
 */
// No in-memory user: Spring Boot would otherwise log a generated password at every start.
@SpringBootApplication(exclude = UserDetailsServiceAutoConfiguration.class)
@ComponentScan(basePackages = {"spinnakermtls.korkpeer", "com.netflix.spinnaker.config.okhttp3"})
@Import({OkHttpClientComponents.class, RetrofitConfiguration.class, OkHttp3ClientConfiguration.class})
public class KorkPeer {
  public static void main(String[] args) {
    SpringApplication.run(KorkPeer.class, args);
  }

  /**
   * Spinnaker services authenticate callers through fiat and X-SPINNAKER-*
   * headers, not through Spring Security's default form login (which kork-web
   * brings in): the peer only judges TLS, so its endpoints are open once the
   * TLS handshake admits the caller.
   */
  @Bean
  SecurityFilterChain openEndpoints(HttpSecurity http) throws Exception {
    http.csrf().disable().authorizeRequests().anyRequest().permitAll();
    return http.build();
  }

  /** kork's metrics interceptor records into the service's Spectator registry. */
  @Bean
  @ConditionalOnMissingBean
  Registry registry() {
    return new DefaultRegistry();
  }
}
