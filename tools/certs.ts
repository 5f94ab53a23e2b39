// npm run certs -- --stack <name> | --state <export.json>
//
// The certificate inventory of a stack: every certificate it issues, with its
// SANs, key, expiry, days left and the Secret that holds it, read from the
// offline engine's export or a real `pulumi stack export` (certificates are
// public; nothing secret is read). Exits 1 when any certificate is inside its
// renewal window or expired, so a scheduled job can page someone.
import "../engine/transpileCache";
import { X509Certificate } from "crypto";
import { CommandHelp, EXIT_NO, EXIT_OK, progress, runCommand } from "../engine/command";
import { readExportFile } from "../engine/files";
import { UsageError, parseFlags } from "../engine/flags";
import { ExportedResource, StackExport, runProgram } from "../engine/run";

const USAGE = "usage: npm run certs -- --stack <name> | --state <export.json>";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "The certificate inventory of a stack: service, key, not-after, days left, status, the Secret holding it, SANs.\n" +
        "Certificates are public: nothing secret is read, and no passphrase is needed.",
    flags: [
        ["--stack <name>", "run the program for this stack under the offline engine and list what it issues"],
        ["--state <export.json>", "list the certificates of an export (pulumi stack export, or npm run offline)"],
    ],
    examples: ["npm run certs -- --stack dev", "npm run certs -- --state prod-export.json"],
    exit1: "a certificate is inside its renewal window or expired: run pulumi up on the stack",
};
const HOUR = 3600_000;
const DAY = 24 * HOUR;

export type CertStatus = "ok" | "renew" | "expired" | "cert-manager";

export interface CertRow {
    readonly service: string;
    readonly sans: string[];
    readonly key: string;
    /** ISO time; undefined when cert-manager issues it inside the cluster. */
    readonly notAfter?: string;
    readonly daysLeft?: number;
    readonly renewBeforeHours?: number;
    readonly status: CertStatus;
    /** namespace/name of the Secret holding it, "-" when none is in the state. */
    readonly secret: string;
}

const TLS_CERTS = ["tls:index/locallySignedCert:LocallySignedCert", "tls:index/selfSignedCert:SelfSignedCert"];
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const rec = (v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

const CURVE_NAMES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521", secp224r1: "P-224" };

function keyOf(cert: X509Certificate): string {
    const k = cert.publicKey;
    const d = k.asymmetricKeyDetails ?? {};
    if (k.asymmetricKeyType === "ec") return `ECDSA ${CURVE_NAMES[d.namedCurve ?? ""] ?? d.namedCurve}`;
    if (k.asymmetricKeyType === "rsa") return `RSA ${d.modulusLength}`;
    return String(k.asymmetricKeyType).toUpperCase();
}

function statusOf(notAfter: Date, renewBeforeHours: number, now: Date): CertStatus {
    if (notAfter.getTime() <= now.getTime()) return "expired";
    return notAfter.getTime() - renewBeforeHours * HOUR <= now.getTime() ? "renew" : "ok";
}

function fromPem(service: string, pem: string, renewBeforeHours: number, secret: string, now: Date): CertRow {
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(pem);
    } catch {
        throw new Error(`the certificate of ${service} is not a PEM certificate`);
    }
    const notAfter = new Date(cert.validTo);
    const sans = (cert.subjectAltName ?? "").split(/,\s*/).filter(Boolean).map((s) => s.replace(/^(DNS|IP Address):/, ""));
    return {
        service,
        sans,
        key: keyOf(cert),
        notAfter: notAfter.toISOString().replace(/\.000Z$/, "Z"),
        daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY),
        renewBeforeHours,
        status: statusOf(notAfter, renewBeforeHours, now),
        secret,
    };
}

/** The inventory of one export, sorted by service. */
export function certificateInventory(exp: StackExport, now: Date = new Date()): CertRow[] {
    const resources = exp.deployment.resources as (ExportedResource & { delete?: boolean })[];
    const live = resources.filter((r) => !r.delete);
    const secretBeside = (parent: string | undefined) => {
        const s = live.find((r) => r.type === "kubernetes:core/v1:Secret" && parent && r.parent === parent && rec(r.inputs).type === "kubernetes.io/tls");
        const m = rec(s?.inputs.metadata);
        return s ? `${str(m.namespace) ?? "default"}/${str(m.name)}` : "-";
    };
    const rows: CertRow[] = [];
    for (const r of live.filter((x) => TLS_CERTS.includes(x.type))) {
        const pem = str(r.outputs.certPem);
        if (!pem) continue;
        const service = r.parent ? nameOf(r.parent) : nameOf(r.urn);
        rows.push(fromPem(service, pem, Number(r.inputs.earlyRenewalHours ?? 0), secretBeside(r.parent), now));
    }
    // An imported CA has no certificate resource; the stack exports its certificate.
    const stack = live.find((r) => r.type === "pulumi:pulumi:Stack");
    const caPem = str(stack?.outputs.caCertificatePem);
    if (caPem && !live.some((r) => r.type === TLS_CERTS[1] && r.outputs.certPem === caPem)) rows.push(fromPem("spinnaker-ca (imported)", caPem, 0, "-", now));
    for (const r of live.filter((x) => /^kubernetes:cert-manager\.io\/[^:]+:Certificate$/.test(x.type))) {
        const m = rec(r.inputs.metadata);
        const spec = rec(r.inputs.spec);
        const key = rec(spec.privateKey);
        const algorithm = str(key.algorithm) ?? "RSA";
        rows.push({
            service: str(m.name) ?? nameOf(r.urn),
            sans: [...((spec.dnsNames as string[] | undefined) ?? []), ...((spec.ipAddresses as string[] | undefined) ?? [])],
            // cert-manager's defaults: RSA 2048, ECDSA 256.
            key: algorithm === "ECDSA" ? `ECDSA P-${key.size ?? 256}` : `${algorithm} ${key.size ?? 2048}`,
            status: "cert-manager",
            secret: `${str(m.namespace) ?? "default"}/${str(spec.secretName)}`,
        });
    }
    return rows.sort((a, b) => a.service.localeCompare(b.service));
}

export function formatInventory(rows: readonly CertRow[]): string {
    // SANs last: the longest column, and the one read least often.
    const head = ["SERVICE", "KEY", "NOT AFTER", "DAYS LEFT", "STATUS", "SECRET", "SANS"];
    const cells = rows.map((r) => [
        r.service,
        r.key,
        r.notAfter ?? "renewed in-cluster",
        r.daysLeft === undefined ? "-" : String(r.daysLeft),
        r.status === "renew" ? `RENEW (window ${r.renewBeforeHours}h)` : r.status === "expired" ? "EXPIRED" : r.status,
        r.secret,
        r.sans.join(","),
    ]);
    const all = [head, ...cells];
    const widths = head.map((_, i) => Math.max(...all.map((c) => c[i].length)));
    return all.map((c) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join("  ")).join("\n");
}

export const needsAttention = (rows: readonly CertRow[]): CertRow[] => rows.filter((r) => r.status === "renew" || r.status === "expired");

export function parseCertsArgs(argv: string[]): { stack?: string; state?: string } {
    const { stack, state } = parseFlags(argv, { values: ["stack", "state"] }, USAGE).values;
    if (!stack === !state) throw new UsageError(`give exactly one of --stack and --state\n${USAGE}`);
    return { stack, state };
}

async function main({ stack, state }: { stack?: string; state?: string }): Promise<number> {
    // The export never leaves this process, so its secrets stay in plain text in memory and no passphrase is asked for.
    const exp = stack ? (await runProgram({ stack, showSecrets: true, progress })).export : readExportFile(state!);
    let rows: CertRow[];
    try {
        rows = certificateInventory(exp);
    } catch (e) {
        throw new Error(`${state ?? `stack ${stack}`}: ${(e as Error).message}`);
    }
    console.log(formatInventory(rows));
    const late = needsAttention(rows);
    if (late.length) {
        console.log(`${late.length} certificate(s) inside the renewal window or expired: ${late.map((r) => r.service).join(", ")}. Run pulumi up on the stack to re-issue them.`);
        return EXIT_NO;
    }
    return EXIT_OK;
}

if (require.main === module) runCommand(HELP, parseCertsArgs, main);
