// The CA the leaves chain to, split into what each consumer needs: the
// certificate that signs the leaves, the certificates a leaf carries after
// itself, the root, and the bundle every store holds. A generated CA (or an
// imported root) is all of them at once; an imported intermediate comes with
// its chain up to its root. A leaf's tls.crt holds the leaf and the
// intermediates, as cert-manager's CA issuer writes it
// (pki.ParseSingleCertificateChain; the root may be left out, RFC 5246 7.4.2).
//
// The stores (ca.crt, truststore.p12, the JVM-wide store, Redis's CA file)
// hold the root and the intermediates, not the root alone: armory/go-yaml-tools
// (dinghy, terraformer) presents only the first certificate of its certFile
// (pkg/tls/tls.go GetX509KeyPair keeps pemBlocks[0]), so its peers must be
// able to finish a Go service's chain from their own store. Trust does not
// widen: every intermediate is the root's own.

/**
 * How a generated CA's issuing CA certificate resource is named after its CA,
 * `<ca>-issuing-cert` (certificateAuthority.ts); the tools find it by this.
 */
export const ISSUING_CERT_SUFFIX = "-issuing-cert";

/** The PEM certificate blocks of a bundle, each ending in a newline. */
export function pemBlocks(pem: string): string[] {
    return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => `${b}\n`);
}

export interface CaChain {
    /** The CA that signs the leaves (the first certificate given). */
    readonly signerPem: string;
    /** What a leaf carries after itself: the intermediates, signer first; empty when the signer is the root. */
    readonly intermediatesPem: string;
    /**
     * The self-signed root at the chain's end, which a chain must reach: OpenSSL
     * (Redis, redis-cli) accepts no other anchor unless told
     * X509_V_FLAG_PARTIAL_CHAIN, which Redis is not.
     */
    readonly anchorPem: string;
    /** What every store holds: the root, then the intermediates ("the stack's CA bundle"). */
    readonly trustBundlePem: string;
}

/** Splits a CA given signer first, then each issuer up to the root (the stack config checks the order). */
export function splitCaChain(pem: string): CaChain {
    const blocks = pemBlocks(pem);
    if (blocks.length === 0) throw new Error("no PEM certificate in the CA bundle");
    // A single CA is kept exactly as given, so that the stores of a stack that imported one before keep their bytes.
    if (blocks.length === 1) return { signerPem: pem, intermediatesPem: "", anchorPem: pem, trustBundlePem: pem };
    const anchorPem = blocks[blocks.length - 1];
    const intermediatesPem = blocks.slice(0, -1).join("");
    return { signerPem: blocks[0], intermediatesPem, anchorPem, trustBundlePem: anchorPem + intermediatesPem };
}
