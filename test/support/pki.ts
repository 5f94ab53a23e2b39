// Certificates for the negative cases (another CA, expired, server-only),
// issued by the same emulated tls provider the program's certificates come from.
import { emulatorFor } from "../../engine/providers";
import { unwrap } from "../../engine/monitor";
import { RunResult } from "../../engine/run";

export interface Issued {
    readonly certPem: string;
    readonly keyPem: string;
}

const HOUR = 3600_000;

function create(type: string, inputs: Record<string, unknown>, now: Date): Record<string, unknown> {
    return emulatorFor(type)!.create(inputs, { name: "test", type, now }).outputs;
}

export function newCa(commonName: string): Issued {
    const now = new Date();
    const key = create("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P256" }, now);
    const cert = create(
        "tls:index/selfSignedCert:SelfSignedCert",
        { privateKeyPem: key.privateKeyPem, isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing"], subject: { commonName }, validityPeriodHours: 240 },
        now,
    );
    return { certPem: cert.certPem as string, keyPem: key.privateKeyPem as string };
}

export interface IssueOptions {
    readonly commonName: string;
    readonly dnsNames?: string[];
    readonly allowedUses?: string[];
    /** When the certificate's validity starts. */
    readonly issuedAt?: Date;
    readonly validityHours?: number;
}

export function issue(ca: Issued, o: IssueOptions): Issued {
    const now = o.issuedAt ?? new Date();
    const key = create("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P256" }, now);
    const csr = create("tls:index/certRequest:CertRequest", { privateKeyPem: key.privateKeyPem, subject: { commonName: o.commonName }, dnsNames: o.dnsNames ?? [o.commonName] }, now);
    const cert = create(
        "tls:index/locallySignedCert:LocallySignedCert",
        {
            certRequestPem: csr.certRequestPem,
            caCertPem: ca.certPem,
            caPrivateKeyPem: ca.keyPem,
            allowedUses: o.allowedUses ?? ["digital_signature", "server_auth", "client_auth"],
            validityPeriodHours: o.validityHours ?? 24,
        },
        now,
    );
    return { certPem: cert.certPem as string, keyPem: key.privateKeyPem as string };
}

/** An expired certificate: issued 48 hours ago for 24. */
export const expired = (ca: Issued, commonName: string): Issued => issue(ca, { commonName, issuedAt: new Date(Date.now() - 48 * HOUR), validityHours: 24 });

/** The stack's own CA, key included, from a run. */
export function stackCa(result: RunResult): Issued {
    const ca = result.resources.find((r) => r.type === "spinnaker-mtls:pki:CertificateAuthority")!;
    const out = unwrap(ca.outputs) as { certPem: string; privateKeyPem: string };
    return { certPem: out.certPem, keyPem: out.privateKeyPem };
}
