// Certificates for the negative cases (another CA, expired, server-only),
// issued by the same emulated tls provider the program's certificates come from.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emulatorFor } from "../../engine/providers";
import { unwrap } from "../../engine/monitor";
import { RunResult } from "../../engine/run";

export interface Issued {
    /** The certificate, then the intermediates it carries (its CA's chainPem), as a TLS peer presents them. */
    readonly certPem: string;
    readonly keyPem: string;
    /** A CA's: what a leaf it issues carries after itself (an issuing CA under the root); "" or unset for a root. */
    readonly chainPem?: string;
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
    const leafPem = cert.certPem as string;
    return { certPem: ca.chainPem ? `${leafPem.endsWith("\n") ? leafPem : `${leafPem}\n`}${ca.chainPem}` : leafPem, keyPem: key.privateKeyPem as string };
}

/** An expired certificate: issued 48 hours ago for 24. */
export const expired = (ca: Issued, commonName: string): Issued => issue(ca, { commonName, issuedAt: new Date(Date.now() - 48 * HOUR), validityHours: 24 });

/**
 * The stack's own CA, key included, from a run, as the leaves are signed: its
 * issuing CA (a generated CA's), whose certificate each leaf carries, and
 * `rootPem`, the root every store holds.
 */
export function stackCa(result: RunResult): Issued & { readonly rootPem: string } {
    const ca = result.resources.find((r) => r.type === "spinnaker-mtls:pki:CertificateAuthority")!;
    const out = unwrap(ca.outputs) as { certPem: string; signerCertPem: string; intermediatesPem: string; privateKeyPem: string };
    return { certPem: out.signerCertPem, keyPem: out.privateKeyPem, chainPem: out.intermediatesPem, rootPem: out.certPem };
}

/** A CA chain made by OpenSSL (the judge of X.509 here, not the program's emulator): a root, then intermediates. */
export interface OpensslChain {
    /** Root first, then each intermediate it (or the one before) issued. */
    readonly cas: Issued[];
    /** What caCertPem takes: the last intermediate first, then each issuer up to the root. */
    readonly bundlePem: string;
    /** The key of the CA that signs the leaves (the last intermediate). */
    readonly signerKeyPem: string;
}

/**
 * A prod run's config importing `chain` as the stack's CA (the key as secret config, as the CLI holds it),
 * with the services cert-manager's CA issuer serves: no Go service, which a chain with intermediates refuses.
 */
export function importedChainRun(chain: OpensslChain): { stack: string; config: Record<string, string>; secretConfigKeys: string[] } {
    return {
        stack: "prod",
        config: {
            "spinnaker-mtls:caCertPem": chain.bundlePem,
            "spinnaker-mtls:caKeyPem": chain.signerKeyPem,
            "spinnaker-mtls:services": '["clouddriver","deck","echo","front50","gate","orca","rosco"]',
        },
        secretConfigKeys: ["spinnaker-mtls:caKeyPem"],
    };
}

export interface ChainLink {
    readonly commonName: string;
    /** basicConstraints pathlen, when set. */
    readonly pathLen?: number;
    /** Defaults to a CA with keyCertSign. */
    readonly extensions?: string;
    readonly days?: number;
}

/** OpenSSL makes the root and each intermediate in turn (EC P-256 keys), in a temporary folder it removes. */
export function opensslChain(root: ChainLink, ...intermediates: ChainLink[]): OpensslChain {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chain-"));
    try {
        const ext = (l: ChainLink) =>
            l.extensions ?? `basicConstraints=critical,CA:TRUE${l.pathLen !== undefined ? `,pathlen:${l.pathLen}` : ""}\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n`;
        const openssl = (args: string[]) => childProcess.execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        [root, ...intermediates].forEach((l, n) => {
            openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${n}.key`]);
            // A config of our own: the system one would add its v3_ca extensions to the root.
            fs.writeFileSync(path.join(dir, `${n}.cnf`), `[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=${l.commonName}\n[v3]\n${ext(l)}`);
            if (n === 0) {
                openssl(["req", "-x509", "-new", "-key", "0.key", "-config", "0.cnf", "-extensions", "v3", "-days", String(l.days ?? 3650), "-out", "0.crt"]);
            } else {
                openssl(["req", "-new", "-key", `${n}.key`, "-config", `${n}.cnf`, "-out", `${n}.csr`]);
                openssl(["x509", "-req", "-in", `${n}.csr`, "-CA", `${n - 1}.crt`, "-CAkey", `${n - 1}.key`, "-CAcreateserial", "-days", String(l.days ?? 1825), "-extfile", `${n}.cnf`, "-extensions", "v3", "-out", `${n}.crt`]);
            }
        });
        const cas = [root, ...intermediates].map((_, i) => ({ certPem: fs.readFileSync(path.join(dir, `${i}.crt`), "utf8"), keyPem: fs.readFileSync(path.join(dir, `${i}.key`), "utf8") }));
        return { cas, bundlePem: [...cas].reverse().map((c) => c.certPem).join(""), signerKeyPem: cas[cas.length - 1].keyPem };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
