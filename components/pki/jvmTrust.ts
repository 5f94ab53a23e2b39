// The trust store every Java service's JVM uses by default (javax.net.ssl.*).
//
// Why it exists: Spinnaker's Redis client (kork's Jedis pool) opens rediss://
// connections with the JVM's default SSL context, so the JVM as a whole must
// trust the Spinnaker CA. Pointing javax.net.ssl.trustStore at a store holding
// only that CA would cut the JVM off from every public endpoint (OAuth
// providers, GitHub, cloud APIs), and Java cannot combine two stores through
// system properties. So this store holds the public roots too: the Mozilla
// root store bundled with the Node.js that runs the program (the same source
// Debian's ca-certificates-java builds the JDK's cacerts from), plus the
// Spinnaker CA, plus any CAs the stack config adds.
import * as crypto from "crypto";
import * as tls from "tls";
import * as der from "../../lib/asn1/der";
import { TrustedEntry, buildTruststoreFromEntries } from "../../lib/asn1/pkcs12";

export const SPINNAKER_CA_ALIAS = "spinnaker-ca";

export interface JvmTrustInput {
    readonly spinnakerCaPem: string;
    /** CAs from stack config (jvmExtraCaCertsPem, redisExternalCaCertPem). */
    readonly extraCasPem?: readonly string[];
    /** Defaults to Node's bundled Mozilla roots. */
    readonly publicRootsPem?: readonly string[];
}

const fingerprint = (certDer: Buffer) => crypto.createHash("sha256").update(certDer).digest("hex").slice(0, 16);

/**
 * The store's entries: the Spinnaker CA first, then extra CAs, then public
 * roots, each named by kind and fingerprint and sorted, so the same inputs
 * always give the same bytes. A certificate appearing twice is kept once.
 */
export function jvmTrustEntries(input: JvmTrustInput): TrustedEntry[] {
    const seen = new Set<string>();
    const take = (pem: string, alias: (certDer: Buffer) => string): TrustedEntry[] =>
        der.pemBlocks(pem, "CERTIFICATE").flatMap((certDer) => {
            const fp = fingerprint(certDer);
            if (seen.has(fp)) return [];
            seen.add(fp);
            return [{ alias: alias(certDer), certDer }];
        });
    const byAlias = (a: TrustedEntry, b: TrustedEntry) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0);
    // The root, then any imported intermediates (components/pki/caChain.ts).
    let caCount = 0;
    const ca = take(input.spinnakerCaPem, (d) => (caCount++ === 0 ? SPINNAKER_CA_ALIAS : `${SPINNAKER_CA_ALIAS}-${fingerprint(d)}`));
    if (ca.length === 0) throw new Error("JVM trust store: spinnakerCaPem holds no certificate");
    const extras = (input.extraCasPem ?? []).flatMap((pem) => take(pem, (d) => `extra-${fingerprint(d)}`)).sort(byAlias);
    const roots = (input.publicRootsPem ?? tls.rootCertificates).flatMap((pem) => take(pem, (d) => `public-${fingerprint(d)}`)).sort(byAlias);
    return [...ca, ...extras, ...roots];
}

export function buildJvmTruststore(input: JvmTrustInput, password: string): Buffer {
    return buildTruststoreFromEntries(jvmTrustEntries(input), password);
}
