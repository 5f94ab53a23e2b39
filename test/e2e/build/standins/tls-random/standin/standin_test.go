package standin

import (
	"context"
	"crypto/sha1" //nolint:gosec // upstream's ids
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func create(t *testing.T, p *Provider, typ string, inputs resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	ins, err := marshal(inputs)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Type: typ, News: ins})
	if err != nil || len(chk.Failures) > 0 {
		t.Fatalf("check %s: %v %v", typ, err, chk.GetFailures())
	}
	res, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Type: typ, Properties: chk.Inputs})
	if err != nil {
		t.Fatalf("create %s: %v", typ, err)
	}
	out, err := unmarshal(res.Properties)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func parseCert(t *testing.T, m resource.PropertyMap) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(str(m, "certPem")))
	if block == nil {
		t.Fatal("certPem is not PEM")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func obj(kv map[string]any) resource.PropertyValue {
	return resource.NewObjectProperty(resource.NewPropertyMapFromMap(kv))
}

// A CA and a service certificate as the program asks for them: the chain
// verifies, key identifiers link, the uses and names arrive, private keys
// are secret outputs.
func TestChainAsTheProgramUsesIt(t *testing.T) {
	p := TLS()
	caKey := create(t, p, "tls:index/privateKey:PrivateKey", resource.NewPropertyMapFromMap(map[string]any{"algorithm": "ECDSA", "ecdsaCurve": "P384"}))
	if !caKey["privateKeyPem"].IsSecret() || !caKey["privateKeyPemPkcs8"].IsSecret() || caKey["publicKeyPem"].IsSecret() {
		t.Fatal("privateKeyPem/privateKeyPemPkcs8 must be secret outputs, publicKeyPem not")
	}
	ca := create(t, p, "tls:index/selfSignedCert:SelfSignedCert", resource.PropertyMap{
		"privateKeyPem": caKey["privateKeyPem"], "isCaCertificate": resource.NewBoolProperty(true), "setSubjectKeyId": resource.NewBoolProperty(true),
		"allowedUses":         resource.NewPropertyValue([]any{"cert_signing", "crl_signing"}),
		"subject":             obj(map[string]any{"commonName": "root", "organization": "org"}),
		"validityPeriodHours": resource.NewNumberProperty(100), "earlyRenewalHours": resource.NewNumberProperty(10),
	})
	svcKey := create(t, p, "tls:index/privateKey:PrivateKey", resource.NewPropertyMapFromMap(map[string]any{"algorithm": "RSA", "rsaBits": 2048}))
	csr := create(t, p, "tls:index/certRequest:CertRequest", resource.PropertyMap{
		"privateKeyPem": svcKey["privateKeyPem"], "subject": obj(map[string]any{"commonName": "spin-gate"}),
		"dnsNames": resource.NewPropertyValue([]any{"spin-gate.ns.svc"}),
	})
	leaf := create(t, p, "tls:index/locallySignedCert:LocallySignedCert", resource.PropertyMap{
		"certRequestPem": csr["certRequestPem"], "caPrivateKeyPem": caKey["privateKeyPem"], "caCertPem": ca["certPem"],
		"allowedUses":         resource.NewPropertyValue([]any{"digital_signature", "key_encipherment", "server_auth", "client_auth"}),
		"validityPeriodHours": resource.NewNumberProperty(48), "setSubjectKeyId": resource.NewBoolProperty(true),
	})
	caCert, leafCert := parseCert(t, ca), parseCert(t, leaf)
	if !caCert.IsCA || caCert.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Fatalf("CA: isCA %v, key usage %v", caCert.IsCA, caCert.KeyUsage)
	}
	if err := leafCert.CheckSignatureFrom(caCert); err != nil {
		t.Fatal(err)
	}
	if string(leafCert.AuthorityKeyId) != string(caCert.SubjectKeyId) || len(leafCert.SubjectKeyId) != 20 {
		t.Fatal("key identifiers do not link (or are not SHA-1 sized)")
	}
	if leafCert.Subject.CommonName != "spin-gate" || len(leafCert.DNSNames) != 1 || leafCert.DNSNames[0] != "spin-gate.ns.svc" {
		t.Fatalf("subject/SANs: %v %v", leafCert.Subject, leafCert.DNSNames)
	}
	if len(leafCert.ExtKeyUsage) != 2 || leafCert.NotAfter.Sub(leafCert.NotBefore) != 48*time.Hour {
		t.Fatalf("EKU %v, validity %v", leafCert.ExtKeyUsage, leafCert.NotAfter.Sub(leafCert.NotBefore))
	}
	if str(leaf, "caKeyAlgorithm") != "ECDSA" || str(svcKey, "privateKeyPem")[:31] != "-----BEGIN RSA PRIVATE KEY-----" {
		t.Fatal("caKeyAlgorithm or the RSA key's PKCS#1 form")
	}
}

// Any input change replaces; so does the renewal window, which NowEnv can
// move the clock into, and refresh then reports readyForRenewal.
func TestReplacementAndRenewalWindow(t *testing.T) {
	p := TLS()
	key := create(t, p, "tls:index/privateKey:PrivateKey", resource.NewPropertyMapFromMap(map[string]any{"algorithm": "ECDSA", "ecdsaCurve": "P256"}))
	inputs := resource.PropertyMap{
		"privateKeyPem": key["privateKeyPem"], "allowedUses": resource.NewPropertyValue([]any{"server_auth"}),
		"validityPeriodHours": resource.NewNumberProperty(100), "earlyRenewalHours": resource.NewNumberProperty(10),
		"subject": obj(map[string]any{"commonName": "x"}),
	}
	const typ = "tls:index/selfSignedCert:SelfSignedCert"
	cert := create(t, p, typ, inputs)
	diff := func(news resource.PropertyMap) *pulumirpc.DiffResponse {
		t.Helper()
		olds, _ := marshal(cert)
		ins, _ := marshal(news)
		chk, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Type: typ, News: ins})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Type: typ, Olds: olds, News: chk.Inputs})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := diff(inputs); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("unchanged inputs diff: %v", r.Replaces)
	}
	changed := inputs.Copy()
	changed["validityPeriodHours"] = resource.NewNumberProperty(200)
	if r := diff(changed); len(r.Replaces) != 1 || r.Replaces[0] != "validityPeriodHours" {
		t.Fatalf("a changed input must replace: %v", r.Replaces)
	}
	end, _ := time.Parse(time.RFC3339, str(cert, "validityEndTime"))
	t.Setenv(NowEnv, end.Add(-9*time.Hour).Format(time.RFC3339))
	if r := diff(inputs); len(r.Replaces) != 1 || r.Replaces[0] != "readyForRenewal" {
		t.Fatalf("inside the renewal window: %v", r.Replaces)
	}
	state, _ := marshal(cert)
	read, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Type: typ, Properties: state})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := unmarshal(read.Properties)
	if !boolean(got, "readyForRenewal") {
		t.Fatal("refresh inside the window must report readyForRenewal")
	}
	t.Setenv(NowEnv, end.Add(-11*time.Hour).Format(time.RFC3339))
	if r := diff(inputs); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("before the window: %v", r.Replaces)
	}
}

// earlyRenewalHours updates in place, as upstream (no RequiresReplace on it):
// the diff replaces nothing, and Update keeps the certificate and takes the
// new value. A new value that puts the certificate inside its window makes
// the next diff a renewal.
func TestEarlyRenewalHoursUpdatesInPlace(t *testing.T) {
	p := TLS()
	key := create(t, p, "tls:index/privateKey:PrivateKey", resource.NewPropertyMapFromMap(map[string]any{"algorithm": "ECDSA", "ecdsaCurve": "P256"}))
	inputs := resource.PropertyMap{
		"privateKeyPem": key["privateKeyPem"], "allowedUses": resource.NewPropertyValue([]any{"server_auth"}),
		"validityPeriodHours": resource.NewNumberProperty(100), "earlyRenewalHours": resource.NewNumberProperty(10),
		"subject": obj(map[string]any{"commonName": "x"}),
	}
	const typ = "tls:index/selfSignedCert:SelfSignedCert"
	cert := create(t, p, typ, inputs)
	olds, _ := marshal(cert)
	changed := inputs.Copy()
	changed["earlyRenewalHours"] = resource.NewNumberProperty(20)
	news, _ := marshal(changed)
	chk, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Type: typ, News: news})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Type: typ, Olds: olds, News: chk.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(d.Replaces) != 0 || len(d.Diffs) != 1 || d.Diffs[0] != "earlyRenewalHours" {
		t.Fatalf("earlyRenewalHours must be an in-place change: diffs %v, replaces %v", d.Diffs, d.Replaces)
	}
	up, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Type: typ, Olds: olds, News: chk.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := unmarshal(up.Properties)
	if str(after, "certPem") != str(cert, "certPem") {
		t.Fatal("an in-place update must keep the certificate")
	}
	if v, _ := num(after, "earlyRenewalHours"); v != 20 {
		t.Fatalf("earlyRenewalHours after the update: %v", v)
	}
	// 100 hours early on a 100-hour certificate: due at once, so the planned value replaces it.
	due := inputs.Copy()
	due["earlyRenewalHours"] = resource.NewNumberProperty(100)
	news, _ = marshal(due)
	chk, _ = p.Check(context.Background(), &pulumirpc.CheckRequest{Type: typ, News: news})
	d, _ = p.Diff(context.Background(), &pulumirpc.DiffRequest{Type: typ, Olds: olds, News: chk.Inputs})
	if len(d.Replaces) != 1 || d.Replaces[0] != "readyForRenewal" {
		t.Fatalf("a window that has begun must replace: %v", d.Replaces)
	}
}

// Upstream's ids (terraform-provider-tls): a key's is the SHA-1 of its public
// key's DER (PKIX), a request's the SHA-1 of its DER, a certificate's its
// serial number in decimal; serial numbers are drawn below 2^128.
func TestUpstreamIds(t *testing.T) {
	p := TLS()
	in := resource.NewPropertyMapFromMap(map[string]any{"algorithm": "ECDSA", "ecdsaCurve": "P256"})
	ins, _ := marshal(in)
	chk, _ := p.Check(context.Background(), &pulumirpc.CheckRequest{Type: "tls:index/privateKey:PrivateKey", News: ins})
	res, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Type: "tls:index/privateKey:PrivateKey", Properties: chk.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := unmarshal(res.Properties)
	block, _ := pem.Decode([]byte(str(key, "publicKeyPem")))
	if want := sha1Hex(block.Bytes); res.Id != want {
		t.Fatalf("key id %s, want the SHA-1 of the public key's DER %s", res.Id, want)
	}
	if res.Id == sha1Hex([]byte(str(key, "publicKeyPem"))) {
		t.Fatal("the id must not be the SHA-1 of the PEM text")
	}
	cert := create(t, p, "tls:index/selfSignedCert:SelfSignedCert", resource.PropertyMap{
		"privateKeyPem": key["privateKeyPem"], "allowedUses": resource.NewPropertyValue([]any{"server_auth"}),
		"validityPeriodHours": resource.NewNumberProperty(1), "subject": obj(map[string]any{"commonName": "x"}),
	})
	if parseCert(t, cert).SerialNumber.BitLen() > 128 {
		t.Fatal("serial numbers are below 2^128")
	}
	if hashForState([]byte(" \n\x30\x01\x02\n ")) != sha1Hex([]byte("\x30\x01\x02")) {
		t.Fatal("hashForState trims surrounding white space, as upstream's strings.TrimSpace")
	}
}

func sha1Hex(b []byte) string {
	sum := sha1.Sum(b) //nolint:gosec // upstream's id
	return hex.EncodeToString(sum[:])
}

func TestRandomPassword(t *testing.T) {
	p := Random()
	out := create(t, p, "random:index/randomPassword:RandomPassword", resource.NewPropertyMapFromMap(map[string]any{"length": 32, "special": false, "minUpper": 5}))
	if !out["result"].IsSecret() || !out["bcryptHash"].IsSecret() {
		t.Fatal("result and bcryptHash must be secret outputs")
	}
	pw := str(out, "result")
	upper := 0
	for _, c := range pw {
		if c >= 'A' && c <= 'Z' {
			upper++
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			t.Fatalf("special character %q with special false", c)
		}
	}
	if len(pw) != 32 || upper < 5 {
		t.Fatalf("length %d, upper %d", len(pw), upper)
	}
	ins, _ := marshal(resource.NewPropertyMapFromMap(map[string]any{"length": 2, "minUpper": 2, "minLower": 2}))
	chk, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Type: "random:index/randomPassword:RandomPassword", News: ins})
	if err != nil || len(chk.Failures) != 1 {
		t.Fatalf("length below the minimums must fail Check: %v %v", err, chk.GetFailures())
	}
}
