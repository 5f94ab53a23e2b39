import type * as tls from "@pulumi/tls";
import type { KeySpec } from "../config/stackConfig";
import type { TlsIdentity } from "./secretLayout";

/**
 * The key an identity gets: the stack's, except for readers that take only RSA
 * (the Go services), which get RSA at the stack's `rsaBits`. The tls provider
 * and cert-manager (encoding PKCS1) both write such keys as `RSA PRIVATE KEY`.
 */
export function identityKeySpec(identity: Pick<TlsIdentity, "rsaPkcs1Only">, stackKey: KeySpec, rsaBits: number): KeySpec {
    return identity.rsaPkcs1Only ? { algorithm: "RSA", rsaBits } : stackKey;
}

/** The `tls.PrivateKey` arguments for a key spec from stack config. */
export function privateKeyArgs(spec: KeySpec): tls.PrivateKeyArgs {
    return spec.algorithm === "RSA" ? { algorithm: "RSA", rsaBits: spec.rsaBits } : { algorithm: "ECDSA", ecdsaCurve: spec.ecdsaCurve };
}

/**
 * Key usages of a service certificate. Both EKUs, because each service's
 * server certificate is also the client certificate it presents to the
 * others. keyEncipherment only matters for RSA key exchange.
 */
export function serviceCertificateUses(spec: KeySpec): string[] {
    const keyUsages = spec.algorithm === "RSA" ? ["digital_signature", "key_encipherment"] : ["digital_signature"];
    return [...keyUsages, "server_auth", "client_auth"];
}

/** A root CA signs certificates and CRLs, nothing else. */
export const CA_CERTIFICATE_USES: readonly string[] = ["cert_signing", "crl_signing", "digital_signature"];
