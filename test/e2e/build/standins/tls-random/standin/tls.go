package standin

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the subject key identifier method of RFC 5280 4.2.1.2, as upstream
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
)

// NowEnv overrides the providers' clock (RFC 3339), so that a test can move
// time into a certificate's renewal window: certificates then report
// readyForRenewal on refresh and are replaced by the next update, which is
// how upstream's plan modifier behaves once real time gets there.
const NowEnv = "SPINNAKER_MTLS_STANDIN_NOW"

func now() time.Time {
	if s := os.Getenv(NowEnv); s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC()
		}
	}
	return time.Now().UTC()
}

// TLS returns the stand-in for pulumi-tls 5.6.1.
func TLS() *Provider {
	return &Provider{Name: "tls", Version: "5.6.1", Resources: map[string]Resource{
		"tls:index/privateKey:PrivateKey":               privateKey{},
		"tls:index/certRequest:CertRequest":             certRequest{},
		"tls:index/selfSignedCert:SelfSignedCert":       certificate{selfSigned: true},
		"tls:index/locallySignedCert:LocallySignedCert": certificate{},
	}}
}

// --- tls:index/privateKey:PrivateKey ---------------------------------------------

var curves = map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}

type privateKey struct{}

func (privateKey) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	m := copyMap(news)
	setDefault(m, "ecdsaCurve", resource.NewStringProperty("P224"))
	setDefault(m, "rsaBits", resource.NewNumberProperty(2048))
	var f []*pulumirpc.CheckFailure
	if !known(m, "algorithm") {
		if _, set := m["algorithm"]; !set {
			f = append(f, failure("algorithm", `missing required argument "algorithm"`))
		}
	} else if a := str(m, "algorithm"); a != "RSA" && a != "ECDSA" && a != "ED25519" {
		f = append(f, failure("algorithm", fmt.Sprintf("algorithm must be one of RSA, ECDSA, ED25519, got %q", a)))
	}
	if known(m, "ecdsaCurve") {
		if _, ok := curves[str(m, "ecdsaCurve")]; !ok {
			f = append(f, failure("ecdsaCurve", fmt.Sprintf("ecdsaCurve must be one of P224, P256, P384, P521, got %q", str(m, "ecdsaCurve"))))
		}
	}
	if known(m, "rsaBits") {
		if bits, _ := num(m, "rsaBits"); bits < 1024 || bits != float64(int(bits)) {
			f = append(f, failure("rsaBits", fmt.Sprintf("rsaBits %v is too small or not a whole number", bits)))
		}
	}
	return m, f
}

var keyOutputs = []string{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"}

// The private key outputs upstream's schema marks secret.
var keySecrets = map[string]bool{"privateKeyPem": true, "privateKeyPemPkcs8": true, "privateKeyOpenssh": true}

func (privateKey) Preview(inputs resource.PropertyMap) resource.PropertyMap {
	m := copyMap(inputs)
	for _, k := range keyOutputs {
		m[resource.PropertyKey(k)] = unknownString()
		if keySecrets[k] {
			m[resource.PropertyKey(k)] = resource.MakeSecret(unknownString())
		}
	}
	return m
}

func (privateKey) Refresh(resource.PropertyMap) resource.PropertyMap { return nil }
func (privateKey) MustReplace(_, _ resource.PropertyMap) string      { return "" }
func (privateKey) InPlace() map[resource.PropertyKey]bool            { return nil }

func (privateKey) Create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	var priv crypto.Signer
	var privPem []byte
	var err error
	switch str(inputs, "algorithm") {
	case "RSA":
		bits, _ := num(inputs, "rsaBits")
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, int(bits)); err != nil {
			return "", nil, err
		}
		priv, privPem = k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	case "ECDSA":
		var k *ecdsa.PrivateKey
		if k, err = ecdsa.GenerateKey(curves[str(inputs, "ecdsaCurve")], rand.Reader); err != nil {
			return "", nil, err
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", nil, err
		}
		priv, privPem = k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	case "ED25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", nil, err
		}
		priv = k
	default:
		return "", nil, fmt.Errorf("unsupported algorithm %q", str(inputs, "algorithm"))
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", nil, err
	}
	pkcs8Pem := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	if privPem == nil {
		privPem = pkcs8Pem // ED25519: upstream's privateKeyPem is PKCS#8
	}
	spki, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", nil, err
	}
	pubPem := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
	// OpenSSH forms, empty where SSH has no such key type (P-224), as upstream.
	var sshPub, md5, sha256, sshPriv string
	if pub, err := ssh.NewPublicKey(priv.Public()); err == nil {
		sshPub = string(ssh.MarshalAuthorizedKey(pub))
		md5 = ssh.FingerprintLegacyMD5(pub)
		sha256 = ssh.FingerprintSHA256(pub)
		if block, err := ssh.MarshalPrivateKey(priv, ""); err == nil {
			sshPriv = string(pem.EncodeToMemory(block))
		}
	}
	m := copyMap(inputs)
	m["privateKeyPem"] = secret(string(privPem))
	m["privateKeyPemPkcs8"] = secret(string(pkcs8Pem))
	m["privateKeyOpenssh"] = secret(sshPriv)
	m["publicKeyPem"] = resource.NewStringProperty(string(pubPem))
	m["publicKeyOpenssh"] = resource.NewStringProperty(sshPub)
	m["publicKeyFingerprintMd5"] = resource.NewStringProperty(md5)
	m["publicKeyFingerprintSha256"] = resource.NewStringProperty(sha256)
	return hashForState(spki), m, nil
}

// hashForState is upstream's id of a key or a request: the SHA-1, hex, of the
// DER bytes read as a string with surrounding white space trimmed
// (terraform-provider-tls, hashForState over the public key's or the
// request's DER).
func hashForState(der []byte) string {
	trimmed := strings.TrimSpace(string(der))
	if trimmed == "" {
		return ""
	}
	sum := sha1.Sum([]byte(trimmed)) //nolint:gosec // an id, as upstream
	return hex.EncodeToString(sum[:])
}

// --- shared certificate pieces ----------------------------------------------------

func parsePrivateKey(pemText, key string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, fmt.Errorf("%q is not a PEM private key", key)
	}
	var k any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%q is not a PEM private key: %w", key, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%q: unsupported key type %T", key, k)
	}
	return s, nil
}

func keyAlgorithm(k crypto.PublicKey) string {
	switch k.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	default:
		return "ED25519"
	}
}

func subjectOf(m resource.PropertyMap) pkix.Name {
	v := unwrap(m["subject"])
	if !v.IsObject() {
		return pkix.Name{}
	}
	s := v.ObjectValue()
	one := func(k string) []string {
		if x := str(s, k); x != "" {
			return []string{x}
		}
		return nil
	}
	return pkix.Name{
		CommonName: str(s, "commonName"), Organization: one("organization"), OrganizationalUnit: one("organizationalUnit"),
		Country: one("country"), Province: one("province"), Locality: one("locality"), PostalCode: one("postalCode"),
		SerialNumber: str(s, "serialNumber"), StreetAddress: strs(s, "streetAddresses"),
	}
}

func altNames(m resource.PropertyMap) ([]string, []net.IP, []*url.URL, error) {
	var ips []net.IP
	for _, s := range strs(m, "ipAddresses") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, nil, nil, fmt.Errorf("ipAddresses: %q is not an IP address", s)
		}
		ips = append(ips, ip)
	}
	var uris []*url.URL
	for _, s := range strs(m, "uris") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("uris: %w", err)
		}
		uris = append(uris, u)
	}
	return strs(m, "dnsNames"), ips, uris, nil
}

// subjectKeyID is RFC 5280's method 1 (SHA-1 of the subjectPublicKey bits), as
// upstream computes it, and as the offline engine does (engine/x509.ts).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, err
	}
	sum := sha1.Sum(info.PublicKey.Bytes) //nolint:gosec // RFC 5280 4.2.1.2
	return sum[:], nil
}

var keyUsages = map[string]x509.KeyUsage{
	"digital_signature": x509.KeyUsageDigitalSignature, "content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment": x509.KeyUsageKeyEncipherment, "data_encipherment": x509.KeyUsageDataEncipherment,
	"key_agreement": x509.KeyUsageKeyAgreement, "cert_signing": x509.KeyUsageCertSign, "crl_signing": x509.KeyUsageCRLSign,
	"encipher_only": x509.KeyUsageEncipherOnly, "decipher_only": x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended": x509.ExtKeyUsageAny, "server_auth": x509.ExtKeyUsageServerAuth, "client_auth": x509.ExtKeyUsageClientAuth,
	"code_signing": x509.ExtKeyUsageCodeSigning, "email_protection": x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system": x509.ExtKeyUsageIPSECEndSystem, "ipsec_tunnel": x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user": x509.ExtKeyUsageIPSECUser, "timestamping": x509.ExtKeyUsageTimeStamping,
	"ocsp_signing": x509.ExtKeyUsageOCSPSigning, "microsoft_server_gated_crypto": x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape_server_gated_crypto":      x509.ExtKeyUsageNetscapeServerGatedCrypto,
	"microsoft_commercial_code_signing": x509.ExtKeyUsageMicrosoftCommercialCodeSigning,
	"microsoft_kernel_code_signing":     x509.ExtKeyUsageMicrosoftKernelCodeSigning,
}

// --- tls:index/certRequest:CertRequest ---------------------------------------------

type certRequest struct{}

func (certRequest) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	m := copyMap(news)
	var f []*pulumirpc.CheckFailure
	if _, set := m["privateKeyPem"]; !set {
		f = append(f, failure("privateKeyPem", `missing required argument "privateKeyPem"`))
	} else if known(m, "privateKeyPem") {
		if _, err := parsePrivateKey(str(m, "privateKeyPem"), "privateKeyPem"); err != nil {
			f = append(f, failure("privateKeyPem", err.Error()))
		}
	}
	return m, f
}

func (certRequest) Preview(inputs resource.PropertyMap) resource.PropertyMap {
	m := copyMap(inputs)
	m["certRequestPem"] = unknownString()
	m["keyAlgorithm"] = unknownString()
	return m
}

func (certRequest) Refresh(resource.PropertyMap) resource.PropertyMap { return nil }
func (certRequest) MustReplace(_, _ resource.PropertyMap) string      { return "" }
func (certRequest) InPlace() map[resource.PropertyKey]bool            { return nil }

func (certRequest) Create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	key, err := parsePrivateKey(str(inputs, "privateKeyPem"), "privateKeyPem")
	if err != nil {
		return "", nil, err
	}
	dns, ips, uris, err := altNames(inputs)
	if err != nil {
		return "", nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: subjectOf(inputs), DNSNames: dns, IPAddresses: ips, URIs: uris,
	}, key)
	if err != nil {
		return "", nil, err
	}
	pemText := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	m := copyMap(inputs)
	m["certRequestPem"] = resource.NewStringProperty(string(pemText))
	m["keyAlgorithm"] = resource.NewStringProperty(keyAlgorithm(key.Public()))
	return hashForState(der), m, nil
}

// --- tls:index/selfSignedCert:SelfSignedCert and locallySignedCert:LocallySignedCert --

type certificate struct{ selfSigned bool }

func (c certificate) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	m := copyMap(news)
	setDefault(m, "earlyRenewalHours", resource.NewNumberProperty(0))
	setDefault(m, "isCaCertificate", resource.NewBoolProperty(false))
	setDefault(m, "setSubjectKeyId", resource.NewBoolProperty(false))
	if c.selfSigned {
		setDefault(m, "setAuthorityKeyId", resource.NewBoolProperty(false))
	}
	var f []*pulumirpc.CheckFailure
	required := []string{"allowedUses", "validityPeriodHours"}
	if c.selfSigned {
		required = append(required, "privateKeyPem")
	} else {
		required = append(required, "caPrivateKeyPem", "caCertPem", "certRequestPem")
	}
	for _, k := range required {
		if _, set := m[resource.PropertyKey(k)]; !set {
			f = append(f, failure(k, fmt.Sprintf("missing required argument %q", k)))
		}
	}
	if known(m, "allowedUses") {
		for _, u := range strs(m, "allowedUses") {
			_, ku := keyUsages[u]
			_, eku := extKeyUsages[u]
			if !ku && !eku {
				f = append(f, failure("allowedUses", fmt.Sprintf("allowedUses: unknown use %q", u)))
			}
		}
	}
	for _, k := range []string{"validityPeriodHours", "earlyRenewalHours"} {
		if known(m, k) {
			if v, ok := num(m, k); !ok || v < 0 || v != float64(int64(v)) {
				f = append(f, failure(k, k+" must be a whole number, 0 or more"))
			}
		}
	}
	return m, f
}

var certOutputs = []string{"certPem", "validityStartTime", "validityEndTime"}

func (c certificate) Preview(inputs resource.PropertyMap) resource.PropertyMap {
	m := copyMap(inputs)
	for _, k := range certOutputs {
		m[resource.PropertyKey(k)] = unknownString()
	}
	m[c.algorithmKey()] = unknownString()
	m["readyForRenewal"] = resource.NewBoolProperty(false)
	return m
}

func (c certificate) algorithmKey() resource.PropertyKey {
	if c.selfSigned {
		return "keyAlgorithm"
	}
	return "caKeyAlgorithm"
}

// readyForRenewal: now is within earlyRenewalHours of the end of validity.
func readyForRenewal(state resource.PropertyMap) bool {
	end, err := time.Parse(time.RFC3339, str(state, "validityEndTime"))
	if err != nil {
		return false
	}
	early, _ := num(state, "earlyRenewalHours")
	return !now().Before(end.Add(-time.Duration(early) * time.Hour))
}

func (certificate) Refresh(state resource.PropertyMap) resource.PropertyMap {
	ready := readyForRenewal(state)
	if boolean(state, "readyForRenewal") == ready {
		return nil
	}
	m := copyMap(state)
	m["readyForRenewal"] = resource.NewBoolProperty(ready)
	return m
}

// MustReplace: inside the renewal window, judged as upstream's plan modifier
// does, with the planned earlyRenewalHours against the state's end of validity.
func (certificate) MustReplace(state, news resource.PropertyMap) string {
	planned := state.Copy()
	if v, ok := news["earlyRenewalHours"]; ok && v.IsNumber() {
		planned["earlyRenewalHours"] = v
	}
	if readyForRenewal(planned) {
		return "readyForRenewal"
	}
	return ""
}

// InPlace: earlyRenewalHours has no RequiresReplace upstream (terraform-provider-tls'
// certificate schemas), so a new value is an update of the state alone.
func (certificate) InPlace() map[resource.PropertyKey]bool {
	return map[resource.PropertyKey]bool{"earlyRenewalHours": true}
}

func (c certificate) Create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	hours, _ := num(inputs, "validityPeriodHours")
	notBefore := now().Truncate(time.Second)
	notAfter := notBefore.Add(time.Duration(hours) * time.Hour)
	// Upstream draws the serial from [0, 2^128) (createCertificate).
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial, NotBefore: notBefore, NotAfter: notAfter,
		BasicConstraintsValid: true, IsCA: boolean(inputs, "isCaCertificate"),
	}
	if v, ok := num(inputs, "maxPathLength"); ok && template.IsCA && v > 0 {
		template.MaxPathLen = int(v)
	}
	for _, u := range strs(inputs, "allowedUses") {
		if ku, ok := keyUsages[u]; ok {
			template.KeyUsage |= ku
		}
		if eku, ok := extKeyUsages[u]; ok {
			template.ExtKeyUsage = append(template.ExtKeyUsage, eku)
		}
	}
	var signer crypto.Signer
	var parent *x509.Certificate
	var pub crypto.PublicKey
	if c.selfSigned {
		if signer, err = parsePrivateKey(str(inputs, "privateKeyPem"), "privateKeyPem"); err != nil {
			return "", nil, err
		}
		pub = signer.Public()
		template.Subject = subjectOf(inputs)
		if template.DNSNames, template.IPAddresses, template.URIs, err = altNames(inputs); err != nil {
			return "", nil, err
		}
		parent = template
	} else {
		if signer, err = parsePrivateKey(str(inputs, "caPrivateKeyPem"), "caPrivateKeyPem"); err != nil {
			return "", nil, err
		}
		block, _ := pem.Decode([]byte(str(inputs, "caCertPem")))
		if block == nil {
			return "", nil, errors.New(`"caCertPem" is not a PEM certificate`)
		}
		if parent, err = x509.ParseCertificate(block.Bytes); err != nil {
			return "", nil, fmt.Errorf(`"caCertPem" is not a PEM certificate: %w`, err)
		}
		if !publicKeysEqual(parent.PublicKey, signer.Public()) {
			return "", nil, errors.New("caPrivateKeyPem does not match the public key of caCertPem")
		}
		block, _ = pem.Decode([]byte(str(inputs, "certRequestPem")))
		if block == nil {
			return "", nil, errors.New(`certRequestPem: not a PEM certificate request`)
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return "", nil, fmt.Errorf("certRequestPem: %w", err)
		}
		if err := csr.CheckSignature(); err != nil {
			return "", nil, fmt.Errorf("certRequestPem: certificate request signature does not verify: %w", err)
		}
		pub = csr.PublicKey
		template.RawSubject = csr.RawSubject
		template.DNSNames, template.IPAddresses, template.URIs = csr.DNSNames, csr.IPAddresses, csr.URIs
		// The issuer's key identifier (Go also takes it from the parent on its own).
		template.AuthorityKeyId = parent.SubjectKeyId
	}
	if boolean(inputs, "setSubjectKeyId") || template.IsCA {
		if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return "", nil, err
		}
	}
	if c.selfSigned && boolean(inputs, "setAuthorityKeyId") {
		template.AuthorityKeyId = template.SubjectKeyId
		if template.AuthorityKeyId == nil {
			if template.AuthorityKeyId, err = subjectKeyID(pub); err != nil {
				return "", nil, err
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return "", nil, err
	}
	m := copyMap(inputs)
	m["certPem"] = resource.NewStringProperty(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	m["validityStartTime"] = resource.NewStringProperty(notBefore.Format(time.RFC3339))
	m["validityEndTime"] = resource.NewStringProperty(notAfter.Format(time.RFC3339))
	m["readyForRenewal"] = resource.NewBoolProperty(false)
	m[c.algorithmKey()] = resource.NewStringProperty(keyAlgorithm(signer.Public()))
	// Upstream's id: the serial number, decimal.
	return serial.String(), m, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	da, err1 := x509.MarshalPKIXPublicKey(a)
	db, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(da, db)
}
