// npm run certs -- --stack <name> [--config|--config-file|--secret-file|--secret-env <key>=...]... | --state <export.json | ->
//
// The certificate inventory of a stack: every certificate it issues, with its
// SANs, key, expiry, days left and the Secret that holds it (certificates are
// public; nothing secret is shown). Two sources, and the output says which:
//   --state  what is deployed: a `pulumi stack export` (from a file, or piped
//            in with `--state -`). This is the check to schedule: it exits 1
//            when any certificate is inside its renewal window or expired, so
//            a job can page someone.
//   --stack  what is planned: the program run now under the offline engine,
//            which issues every certificate afresh. Its leaves are never due;
//            only an imported CA can be.
import "../engine/transpileCache";
import { X509Certificate } from "crypto";
import { ISSUING_CERT_SUFFIX, pemBlocks } from "../components/pki/caChain";
import { CONFIG_SPEC } from "../components/config/keys";
import { CommandHelp, EXIT_NO, EXIT_OK, progress, runCommand, withProgramOutputOnStderr } from "../engine/command";
import { CONFIG_FLAG_HELP, CONFIG_PAIR_FLAGS, readConfigInputs } from "../engine/configInputs";
import { STDIN_NAME, exportStack, readExportFileOrStdin } from "../engine/files";
import { UsageError, parseFlags } from "../engine/flags";
import { caKeyOf } from "./graph/certificates";
import { ExportedResource, StackExport, runProgram } from "../engine/run";

const USAGE = "usage: npm run certs -- --stack <name> [--config|--config-file|--secret-file|--secret-env <key>=...]... | --state <export.json | ->";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "The certificate inventory of a stack: service, key, not-after, days left, status, the Secret holding it, SANs.\n" +
        "--state reads what is deployed (pulumi stack export): the check to schedule. --stack shows what is planned: the\n" +
        "offline engine issues every certificate now, so only an imported CA can be due. Certificates are public: no passphrase is needed.",
    flags: [
        ["--state <export.json>", "what is deployed: the certificates of a pulumi stack export (or of npm run offline's export, shown as planned)"],
        ["--state -", "the same, with the export piped in: pulumi stack export --stack prod | npm run -s certs -- --state -"],
        ["--stack <name>", "what is planned: run the program for this stack under the offline engine and list what it would issue now"],
        ...CONFIG_FLAG_HELP.map(([f, what]) => [f, `with --stack: ${what}`] as const),
    ],
    examples: [
        "pulumi stack export --stack prod | npm run -s certs -- --state -",
        "npm run certs -- --state prod-export.json",
        "npm run certs -- --stack prod --config-file caCertPem=ca.crt --secret-file caKeyPem=ca.key",
    ],
    exit1: "a certificate is inside its renewal window or expired: run pulumi up on the stack (an imported CA: renew it first)",
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
const CERT_MANAGER_CERTIFICATE = /^kubernetes:cert-manager\.io\/[^:]+:Certificate$/;
/** The row of a CA the stack imports (caCertPem): it has no certificate resource, and the stack exports it. */
export const IMPORTED_CA = "spinnaker-ca (imported)";
/** The rows of an imported intermediate's chain, signer first. */
export const IMPORTED_CA_INTERMEDIATE = "spinnaker-ca intermediate (imported)";
/** During a CA rotation, the next CA when it is imported too. */
export const IMPORTED_NEXT_CA = "spinnaker-ca next (imported)";
/** A generated CA's issuing CA certificate resource (components/pki/certificateAuthority.ts). */
const isIssuingCaCert = (r: ExportedResource): boolean => r.type === TLS_CERTS[0] && nameOf(r.urn).endsWith(ISSUING_CERT_SUFFIX);
const isImportedCa = (r: CertRow): boolean => r.service === IMPORTED_CA || r.service === IMPORTED_NEXT_CA || r.service.startsWith(IMPORTED_CA_INTERMEDIATE);
/**
 * A CA's identity as the trust graph knows it (caKeyOf: subject and public
 * key), none for what does not parse. caCertificatePem holds a generated CA
 * re-signed with name constraints: another certificate of the same CA than
 * its tls resource's (components/pki/nameConstrainedCa.ts).
 */
const caIdentity = (pem: string | undefined): string[] => {
    try {
        return pem ? [caKeyOf(new X509Certificate(pem))] : [];
    } catch {
        return [];
    }
};
const isSelfSigned = (pem: string): boolean => {
    try {
        const c = new X509Certificate(pem);
        return c.checkIssued(c) && c.verify(c.publicKey);
    } catch {
        return true;
    }
};
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

/** Hours in a Go duration as cert-manager writes them ("2160h", "1h30m"); undefined for anything else. */
function durationHours(v: unknown): number | undefined {
    const m = typeof v === "string" ? /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v) : null;
    if (!m || v === "") return undefined;
    return Number(m[1] ?? 0) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600;
}

/**
 * The renewal window of an imported CA. `pulumi up` refuses the CA once it
 * expires before a certificate issued now would (certValidityHours before its
 * end), and only its owner can renew it; so the window opens renewBeforeHours
 * before that, the lead time the leaves get: the longest leaf lifetime plus
 * its window, read from the leaves in the state (certValidityHours +
 * renewBeforeHours; Pulumi.yaml's defaults, 2520 h, when none is there).
 */
export function importedCaWindowHours(resources: readonly ExportedResource[]): number {
    const leaves: number[] = [];
    for (const r of resources) {
        if (r.type === TLS_CERTS[0] && !isIssuingCaCert(r)) leaves.push(Number(r.inputs.validityPeriodHours) + Number(r.inputs.earlyRenewalHours ?? 0));
        if (CERT_MANAGER_CERTIFICATE.test(r.type)) {
            const spec = rec(r.inputs.spec);
            leaves.push((durationHours(spec.duration) ?? 0) + (durationHours(spec.renewBefore) ?? 0));
        }
    }
    const known = leaves.filter((h) => Number.isFinite(h) && h > 0);
    return known.length ? Math.max(...known) : Number(CONFIG_SPEC.certValidityHours.default) + Number(CONFIG_SPEC.renewBeforeHours.default);
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
        // A generated CA's issuing CA (certificateAuthority.ts) is a row of its own, named after its CA.
        const issuing = isIssuingCaCert(r);
        const service = r.parent ? `${nameOf(r.parent)}${issuing ? " issuing CA" : ""}` : nameOf(r.urn);
        rows.push(fromPem(service, pem, Number(r.inputs.earlyRenewalHours ?? 0), issuing ? "-" : secretBeside(r.parent), now));
    }
    // An imported CA has no certificate resource; the stack exports its certificate.
    const stack = live.find((r) => r.type === "pulumi:pulumi:Stack");
    const caPem = str(stack?.outputs.caCertificatePem);
    // During a CA rotation it holds two CAs: each root no certificate resource issued is imported.
    const generated = new Set(live.filter((r) => r.type === TLS_CERTS[1]).flatMap((r) => caIdentity(str(r.outputs.certPem))));
    const roots = pemBlocks(caPem ?? "").filter(isSelfSigned);
    for (const [i, pem] of roots.entries()) {
        if (!caIdentity(pem).some((k) => generated.has(k))) rows.push(fromPem(i === 0 ? IMPORTED_CA : IMPORTED_NEXT_CA, pem, importedCaWindowHours(live), "-", now));
    }
    // An imported intermediate and the CAs above it (the root is a row above): the CertificateAuthorities' outputs.
    // (A generated CA's issuing CA is its own resource, a row already.)
    const issuedBy = new Set(live.filter(isIssuingCaCert).map((r) => r.parent));
    const intermediates = live.filter((r) => r.type === "spinnaker-mtls:pki:CertificateAuthority" && !issuedBy.has(r.urn)).flatMap((a) => pemBlocks(str(a.outputs.intermediatesPem) ?? ""));
    for (const [i, pem] of intermediates.entries()) {
        rows.push(fromPem(`${IMPORTED_CA_INTERMEDIATE} ${i + 1}`, pem, importedCaWindowHours(live), "-", now));
    }
    for (const r of live.filter((x) => CERT_MANAGER_CERTIFICATE.test(x.type))) {
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

export interface CertsArgs {
    readonly stack?: string;
    readonly state?: string;
    /** With --stack: config values over the stack file's (secure values included). */
    readonly config?: Record<string, string>;
    readonly secretConfigKeys?: string[];
}

export function parseCertsArgs(argv: string[]): CertsArgs {
    const f = parseFlags(argv, { values: ["stack", "state"], pairs: [...CONFIG_PAIR_FLAGS] }, USAGE);
    const { stack, state } = f.values;
    if (!stack === !state) throw new UsageError(`give exactly one of --stack and --state\n${USAGE}`);
    const given = CONFIG_PAIR_FLAGS.filter((p) => Object.keys(f.pairs[p]).length > 0);
    if (state) {
        if (given.length) throw new UsageError(`--${given[0]} goes with --stack (an export is not re-run)\n${USAGE}`);
        return { state };
    }
    const inputs = readConfigInputs(f.pairs);
    return { stack, config: inputs.values, ...(inputs.secretKeys.length ? { secretConfigKeys: inputs.secretKeys } : {}) };
}

/** The engine's mark on its own exports: certificates it issued, not ones a cluster runs with. */
const OFFLINE_MANIFEST_VERSION = "spinnaker-mtls-offline";

/** The report's first line: which stack, and whether the certificates are the deployed ones or a plan. */
export function sourceLine(args: CertsArgs, exp: StackExport): string {
    if (args.stack) {
        return `stack ${args.stack}, as planned: certificates the offline engine issues now, not the deployed ones (those: pulumi stack export --stack ${args.stack} | npm run -s certs -- --state -)`;
    }
    const { stack } = exportStack(exp);
    const from = args.state === "-" ? STDIN_NAME : args.state;
    return exp.deployment.manifest?.version === OFFLINE_MANIFEST_VERSION
        ? `stack ${stack}, as planned: ${from} is an export of the offline engine (npm run offline), not of what is deployed`
        : `stack ${stack}, as deployed: ${from} (pulumi stack export)`;
}

/** What to do about the rows inside their window: leaves are re-issued by pulumi up; an imported CA only its owner renews. */
export function attentionLines(late: readonly CertRow[]): string[] {
    const leaves = late.filter((r) => !isImportedCa(r));
    const ca = late.find(isImportedCa);
    return [
        ...(leaves.length ? [`${leaves.length} certificate(s) inside the renewal window or expired: ${leaves.map((r) => r.service).join(", ")}. Run pulumi up on the stack to re-issue them.`] : []),
        ...(ca
            ? [
                  `The imported CA is ${ca.status === "expired" ? "expired" : `inside its renewal window (${ca.renewBeforeHours}h: the longest certificate lifetime plus its renewal window)`}; pulumi up cannot renew it: ` +
                      "renew or replace it, set caCertPem and caKeyPem to the new one (pulumi config set --secret caKeyPem < ca.key), then run pulumi up.",
              ]
            : []),
    ];
}

async function main(args: CertsArgs): Promise<number> {
    // The export never leaves this process, so its secrets stay in plain text in memory and no passphrase is asked for.
    const exp = args.stack
        ? (await withProgramOutputOnStderr(() => runProgram({ stack: args.stack!, showSecrets: true, config: args.config, secretConfigKeys: args.secretConfigKeys, progress }))).export
        : await readExportFileOrStdin(args.state!);
    let rows: CertRow[];
    try {
        rows = certificateInventory(exp);
    } catch (e) {
        throw new Error(`${args.state === "-" ? STDIN_NAME : (args.state ?? `stack ${args.stack}`)}: ${(e as Error).message}`);
    }
    console.log(sourceLine(args, exp));
    console.log(formatInventory(rows));
    const late = needsAttention(rows);
    if (late.length) {
        for (const line of attentionLines(late)) console.log(line);
        return EXIT_NO;
    }
    return EXIT_OK;
}

if (require.main === module) runCommand(HELP, parseCertsArgs, main);
