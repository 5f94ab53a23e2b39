// The generated CA's certificate with a critical nameConstraints extension
// (RFC 5280 4.2.1.10), which @pulumi/tls 5.6.1 cannot write.
//
// The provider's self-signed certificate stays the resource; the program
// re-signs its TBSCertificate with the same key after adding the extension.
// Same subject, same key, same subject key identifier: a leaf signed by that
// key chains to either certificate, so a stack that had the unconstrained one
// moves to this one without a failed handshake. The serial differs (two
// certificates from one issuer may not share one) and is derived from the
// provider's certificate, so that the result is the same bytes every run.
import * as crypto from "crypto";
import { Der, DerNode, bitString, boolean, derToPem, explicit, integer, octetString, oid, pemToDer, read, readOid, sequence, tlv } from "../../lib/asn1/der";
import { signDeterministically } from "./deterministicSignature";

const NAME_CONSTRAINTS_OID = "2.5.29.30";
const BASIC_CONSTRAINTS_OID = "2.5.29.19";

/** A DNS name a constraint can carry: LDH labels, no wildcard, no trailing dot. */
const DNS_NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

/**
 * The extension's value: the permitted DNS subtrees, sorted, and every IPv4
 * and IPv6 address excluded (the program's leaves carry none, so a leaf with
 * an IP address is not one of them).
 */
export function nameConstraintsValue(permittedDnsNames: readonly string[]): Der {
    const names = [...new Set(permittedDnsNames.map((n) => n.toLowerCase()))].sort();
    if (names.length === 0) throw new Error("a name-constrained CA needs at least one permitted DNS name");
    for (const n of names) {
        if (!DNS_NAME.test(n) || n.length > 253) throw new Error(`"${n}" cannot be a permitted DNS subtree: a host name of letters, digits, hyphens and dots, no wildcard`);
    }
    const subtree = (generalName: Der) => sequence(generalName);
    const permitted = names.map((n) => subtree(tlv(0x82, Buffer.from(n, "ascii"))));
    const excluded = [Buffer.alloc(8), Buffer.alloc(32)].map((addressAndMask) => subtree(tlv(0x87, addressAndMask)));
    return sequence(tlv(0xa0, Buffer.concat(permitted)), tlv(0xa1, Buffer.concat(excluded)));
}

/** The fields of a TBSCertificate, as the certificate holds them. */
function tbsFields(tbs: DerNode): { version: DerNode; serial: DerNode; rest: DerNode[]; extensions: DerNode[] } {
    const [version, serial, ...others] = tbs.children;
    if (version?.tag !== 0xa0) throw new Error("the CA certificate is not X.509 v3");
    const extensionsField = others.find((c) => c.tag === 0xa3);
    const rest = others.filter((c) => c.tag !== 0xa3);
    return { version, serial, rest, extensions: extensionsField ? extensionsField.children[0].children : [] };
}

/**
 * A CA certificate re-signed by `signerKeyPem` (its issuer's key) with
 * nameConstraints permitting exactly `permittedDnsNames`, and, when `pathLen`
 * is given, a critical basicConstraints with that path length in place of its
 * own. Every other field is kept; the serial is derived from the original
 * certificate and `purpose`, so the same inputs give the same PEM.
 */
function resignWithNameConstraints(
    caCertPem: string,
    issuer: crypto.X509Certificate,
    signerKeyPem: string,
    permittedDnsNames: readonly string[],
    purpose: string,
    pathLen?: number,
): string {
    const der = pemToDer(caCertPem, "CERTIFICATE");
    const [tbs, signatureAlgorithm] = read(der).children;
    const fields = tbsFields(tbs);
    if (fields.extensions.some((e) => readOid(e.children[0]) === NAME_CONSTRAINTS_OID)) throw new Error("the CA certificate already carries name constraints");
    const kept = fields.extensions.filter((e) => pathLen === undefined || readOid(e.children[0]) !== BASIC_CONSTRAINTS_OID).map((e) => e.raw);
    const basicConstraints = pathLen === undefined ? [] : [sequence(oid(BASIC_CONSTRAINTS_OID), boolean(true), octetString(sequence(boolean(true), integer(pathLen))))];
    const nameConstraints = sequence(oid(NAME_CONSTRAINTS_OID), boolean(true), octetString(nameConstraintsValue(permittedDnsNames)));
    const serial = crypto.createHash("sha256").update(`spinnaker-mtls ${purpose}\n`).update(der).digest().subarray(0, 16);
    serial[0] = (serial[0] & 0x7f) | 0x40; // positive, 127 bits, no leading zero
    const newTbs = sequence(fields.version.raw, integer(serial), ...fields.rest.map((f) => f.raw), explicit(3, sequence(...kept, ...basicConstraints, nameConstraints)));
    const signature = signDeterministically(newTbs, signerKeyPem, readOid(signatureAlgorithm.children[0]));
    const pem = derToPem(sequence(newTbs, signatureAlgorithm.raw, bitString(signature)), "CERTIFICATE");
    const result = new crypto.X509Certificate(pem);
    if (!result.verify(issuer.publicKey) || !result.checkIssued(issuer)) throw new Error("the name-constrained CA certificate does not verify against its issuer");
    return pem;
}

/**
 * `caCertPem` (self-signed, made by the tls provider) re-signed by `caKeyPem`
 * with nameConstraints permitting exactly `permittedDnsNames`. The same inputs
 * give the same PEM.
 */
export function withNameConstraints(caCertPem: string, caKeyPem: string, permittedDnsNames: readonly string[]): string {
    const x509 = new crypto.X509Certificate(caCertPem);
    if (!x509.ca || x509.subject !== x509.issuer) throw new Error("only a self-signed CA certificate can be given name constraints here");
    if (!x509.checkPrivateKey(crypto.createPrivateKey(caKeyPem))) throw new Error("the CA key does not match the CA certificate");
    return resignWithNameConstraints(caCertPem, x509, caKeyPem, permittedDnsNames, "name-constrained CA");
}

/**
 * The issuing CA: `intermediateCertPem` (a CA certificate the tls provider
 * signed with the root's key) re-signed by `rootKeyPem` with nameConstraints
 * permitting exactly `permittedDnsNames` and a path length of 0, so that it
 * signs leaves only.
 *
 * Why an intermediate at all: JSSE (every Java service) builds its trust
 * anchors without their certificates' name constraints, so a constraint on
 * the root holds for OpenSSL and Go but not for Java. On an intermediate that
 * no trust store holds, every consumer enforces it (docs/configuration.md,
 * "Name constraints").
 */
export function constrainedIssuingCa(intermediateCertPem: string, rootCertPem: string, rootKeyPem: string, permittedDnsNames: readonly string[]): string {
    const root = new crypto.X509Certificate(rootCertPem);
    const intermediate = new crypto.X509Certificate(intermediateCertPem);
    if (!intermediate.ca || intermediate.issuer !== root.subject) throw new Error("the issuing CA certificate is not a CA certificate issued by the root");
    if (!root.checkPrivateKey(crypto.createPrivateKey(rootKeyPem))) throw new Error("the root key does not match the root certificate");
    return resignWithNameConstraints(intermediateCertPem, root, rootKeyPem, permittedDnsNames, "name-constrained issuing CA", 0);
}

/** The permitted DNS names of a CA certificate's nameConstraints, sorted; undefined when it carries none. */
export function permittedDnsNamesOf(certPem: string): string[] | undefined {
    const [tbs] = read(pemToDer(certPem, "CERTIFICATE")).children;
    const ext = tbsFields(tbs).extensions.find((e) => readOid(e.children[0]) === NAME_CONSTRAINTS_OID);
    if (!ext) return undefined;
    const value = read(ext.children[ext.children.length - 1].content);
    const permitted = value.children.find((c) => c.tag === 0xa0);
    return (permitted?.children ?? []).map((s) => s.children[0]).filter((g) => g.tag === 0x82).map((g) => g.content.toString("ascii")).sort();
}
