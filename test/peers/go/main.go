// go-peer: an Armory Go service's TLS, as armory/go-yaml-tools builds it.
//
// It reads a service's rendered profile the way dinghy reads its own
// (go-yaml-tools' spring loader over <config-dir>/spinnaker*.yml and
// <service>-<profile>.yml, then a weakly typed mapstructure decode into
// go-yaml-tools' server.ServerConfig and client.Config), and then:
//
//	serve: starts go-yaml-tools' server.Server with `server.ssl` (the call
//	       dinghy's Start makes) on 127.0.0.1:<port>; every request is
//	       answered with the verified client certificate's CN.
//	call:  initialises go-yaml-tools' client.Config from `http.*`, takes the
//	       *http.Client its NewClient returns and GETs a URL; -connect only
//	       redirects the TCP dial (like curl --resolve), so the TLS settings
//	       and the name checked against the certificate stay the client's.
//
// Output is one JSON object per event on stdout; key material never is.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/armory/go-yaml-tools/pkg/spring"
	yamltls "github.com/armory/go-yaml-tools/pkg/tls"
	"github.com/armory/go-yaml-tools/pkg/tls/client"
	"github.com/armory/go-yaml-tools/pkg/tls/server"
	"github.com/mitchellh/mapstructure"
	"github.com/sirupsen/logrus"
)

// settings holds the two blocks of dinghy's global.Settings this peer judges,
// under the same field names and types, so the same decode fills them.
type settings struct {
	Server server.ServerConfig
	Http   client.Config
}

// Exit codes the test tells apart.
const (
	exitConfig  = 2 // the profile or its TLS material did not load
	exitRequest = 3 // the call failed (handshake refused, connection, non-2xx)
	exitUsage   = 64
)

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func fail(code int, stage string, err error) {
	emit(map[string]interface{}{"event": "error", "stage": stage, "error": err.Error()})
	os.Exit(code)
}

// load reads the profile as dinghy's source.Initialize does: spring
// properties for ["spinnaker", service] under the active profiles, decoded
// with WeaklyTypedInput.
func load(configDir, service, profiles string) (*settings, error) {
	props, err := spring.LoadProperties([]string{"spinnaker", service}, configDir, []string{"SPRING_PROFILES_ACTIVE=" + profiles})
	if err != nil {
		return nil, err
	}
	var s settings
	decoder, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{WeaklyTypedInput: true, Result: &s})
	if err != nil {
		return nil, err
	}
	if err := decoder.Decode(props); err != nil {
		return nil, err
	}
	return &s, nil
}

// keyInfo describes the key go-yaml-tools loads for a certificate/key pair
// (its own GetX509KeyPair), so the test can check algorithm and size.
func keyInfo(certFile, keyFile, password string) (map[string]interface{}, error) {
	pair, err := yamltls.GetX509KeyPair(certFile, keyFile, password)
	if err != nil {
		return nil, err
	}
	switch k := pair.PrivateKey.(type) {
	case *rsa.PrivateKey:
		return map[string]interface{}{"type": "RSA", "bits": k.N.BitLen()}, nil
	case *ecdsa.PrivateKey:
		return map[string]interface{}{"type": "ECDSA", "bits": k.Curve.Params().BitSize}, nil
	default:
		return map[string]interface{}{"type": fmt.Sprintf("%T", k)}, nil
	}
}

func serve(s *settings, port uint) {
	ssl := s.Server.Ssl
	if !ssl.Enabled {
		fail(exitConfig, "server", errors.New("server.ssl.enabled is not true"))
	}
	info, err := keyInfo(ssl.CertFile, ssl.KeyFile, ssl.KeyPassword)
	if err != nil {
		fail(exitConfig, "server", err)
	}
	s.Server.Host = "127.0.0.1"
	s.Server.Port = uint32(port)
	emit(map[string]interface{}{"event": "starting", "addr": s.Server.GetAddr(), "clientAuth": string(ssl.ClientAuth), "key": info})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := ""
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			peer = r.TLS.VerifiedChains[0][0].Subject.CommonName
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"peer": peer})
	})
	// Start only returns on failure; dinghy log.Fatal()s there.
	if err := server.NewServer(&s.Server).Start(handler); err != nil {
		fail(exitConfig, "server", err)
	}
}

func call(s *settings, url, connect string, timeout time.Duration) {
	if err := s.Http.Init(); err != nil {
		fail(exitConfig, "client", err)
	}
	c := s.Http.NewClient()
	if s.Http.ClientCertFile != "" {
		info, err := keyInfo(s.Http.ClientCertFile, s.Http.ClientKeyFile, s.Http.ClientKeyPassword)
		if err != nil {
			fail(exitConfig, "client", err)
		}
		emit(map[string]interface{}{"event": "client", "key": info})
	}
	if connect != "" {
		// NewClient returns a bare *http.Transport when http.* configures TLS,
		// and none otherwise; only its dialer changes here.
		t, ok := c.Transport.(*http.Transport)
		if !ok {
			if c.Transport != nil {
				fail(exitUsage, "client", fmt.Errorf("unexpected transport %T", c.Transport))
			}
			t = &http.Transport{}
			c.Transport = t
		}
		dialer := &net.Dialer{Timeout: timeout}
		t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, connect)
		}
	}
	c.Timeout = timeout
	res, err := c.Get(url)
	if err != nil {
		fail(exitRequest, "request", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	emit(map[string]interface{}{"event": "response", "status": res.StatusCode, "body": string(body)})
	if res.StatusCode < 200 || res.StatusCode > 299 {
		os.Exit(exitRequest)
	}
}

func main() {
	mode := flag.String("mode", "", "serve or call")
	configDir := flag.String("config-dir", "", "folder holding <service>-local.yml (the Operator's /opt/spinnaker/config)")
	service := flag.String("service", "", "service whose profile to read (dinghy, terraformer)")
	profiles := flag.String("profiles", "local", "SPRING_PROFILES_ACTIVE")
	port := flag.Uint("port", 0, "serve: port on 127.0.0.1")
	url := flag.String("url", "", "call: URL to GET")
	connect := flag.String("connect", "", "call: host:port to dial instead of the URL's")
	timeout := flag.Duration("timeout", 10*time.Second, "call: request timeout")
	flag.Parse()
	// go-yaml-tools logs through logrus; keep stdout for this peer's JSON.
	logrus.SetOutput(os.Stderr)

	if *configDir == "" || *service == "" {
		fmt.Fprintln(os.Stderr, "usage: go-peer -mode serve|call -config-dir DIR -service NAME [-port N | -url URL [-connect HOST:PORT]]")
		os.Exit(exitUsage)
	}
	s, err := load(*configDir, *service, *profiles)
	if err != nil {
		fail(exitConfig, "profile", err)
	}
	switch *mode {
	case "serve":
		if *port == 0 {
			fail(exitUsage, "usage", errors.New("serve needs -port"))
		}
		serve(s, *port)
	case "call":
		if *url == "" {
			fail(exitUsage, "usage", errors.New("call needs -url"))
		}
		call(s, *url, *connect, *timeout)
	default:
		fail(exitUsage, "usage", fmt.Errorf("unknown -mode %q", *mode))
	}
}
