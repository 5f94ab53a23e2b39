// Every certificate a stack issues or imports, with the dates it lives by.
//
// Where dates come from, by backend:
// - pulumi (the tls provider): the certificate's own validity. In a planned
//   run that is the offline engine's issue at --now, which is what `pulumi up`
//   at that instant would issue. renewAt is notAfter less earlyRenewalHours:
//   from then on the provider marks it ready for renewal, and the first
//   `pulumi up` after that instant re-issues it. Nothing renews it without a
//   `pulumi up`.
// - cert-manager: the Certificate's status (notBefore, notAfter, renewalTime)
//   when the state holds it (an export after `pulumi up` waited for Ready).
//   Before deployment there is no date to tell: they are null, with the reason.
// - otterize: the credentials operator issues in the cluster; the state
//   holds no date.
// - an imported CA: its certificate (from the stack output), renewed by
//   whoever owns it.
import { X509Certificate, createHash } from "crypto";
import { ISSUING_CERT_SUFFIX } from "../../components/pki/caChain";
import { CERT_MANAGER_DEFAULT_DURATION_HOURS, goDurationHours } from "../../policies/lib/certificates";
import { KubeObject, Props, asArray, asRecord, at, isKind } from "../../policies/lib/kube";
import { ExportView, PublicResource } from "./exportView";
import { CaRef, Certificate, CertificateFlags } from "./schema";

const HOUR = 3_600_000;
const TLS_SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
/** A generated CA's issuing CA's id here: `<ca>-issuing`. */
const ISSUING_ID_SUFFIX = "-issuing";
const TLS_LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const OTTERIZE = "spinnaker-mtls:otterize:OtterizeCredentials";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const nameOf = (urn: string | null): string => (urn ? urn.slice(urn.lastIndexOf("::") + 2) : "");
export const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Colon-separated SHA-256 of a certificate's DER, as `openssl x509 -fingerprint -sha256` prints it. */
export function fingerprintOf(cert: X509Certificate): string {
    return createHash("sha256").update(cert.raw).digest("hex").toUpperCase().match(/../g)!.join(":");
}

/**
 * What makes two CA certificates one CA to a verifier: the subject and the
 * public key. The program re-signs its generated CA with name constraints
 * (components/pki/nameConstrainedCa.ts), so the stores hold a certificate
 * other than the tls resource's, of the same CA.
 */
export function caKeyOf(cert: X509Certificate): string {
    return createHash("sha256").update(cert.subject).update("\0").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

export function pemCertificates(pem: string): X509Certificate[] {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return blocks.map((b) => new X509Certificate(b));
}

const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };
function keyOf(cert: X509Certificate): string {
    const k = cert.publicKey;
    const d = k.asymmetricKeyDetails ?? {};
    if (k.asymmetricKeyType === "ec") return `ECDSA ${CURVES[d.namedCurve ?? ""] ?? d.namedCurve}`;
    if (k.asymmetricKeyType === "rsa") return `RSA ${d.modulusLength}`;
    return String(k.asymmetricKeyType).toUpperCase();
}

/** `CN=spin-orca, O=Spinnaker` from Node's one-attribute-a-line form. */
const distinguishedName = (text: string): string =>
    text
        .split("\n")
        .filter(Boolean)
        .sort((a, b) => (a.startsWith("CN=") ? -1 : b.startsWith("CN=") ? 1 : 0))
        .join(", ");
const subjectOf = (cert: X509Certificate): string => distinguishedName(cert.subject);

const sansOf = (cert: X509Certificate): string[] =>
    (cert.subjectAltName ?? "")
        .split(/,\s*/)
        .filter(Boolean)
        .map((s) => s.replace(/^(DNS|IP Address):/, ""));

export function flagsOf(notAfter: string | null, renewAt: string | null, caNotAfter: string | null | undefined, now: Date): CertificateFlags {
    const end = notAfter ? Date.parse(notAfter) : NaN;
    const renew = renewAt ? Date.parse(renewAt) : NaN;
    const caEnd = caNotAfter ? Date.parse(caNotAfter) : NaN;
    const t = now.getTime();
    return {
        outlivesCa: caNotAfter === undefined ? false : Number.isNaN(end) || Number.isNaN(caEnd) ? null : end > caEnd,
        inRenewalWindow: Number.isNaN(end) || Number.isNaN(renew) ? null : t >= renew && t < end,
        expired: Number.isNaN(end) ? null : t >= end,
    };
}

interface Draft extends Omit<Certificate, "flags" | "usedBy"> {
    /** The CA's identity (caKeyOf) even where the graph shows no fingerprint: how issuers are matched. */
    readonly matchKey: string | null;
}

export interface CertificateSet {
    readonly certificates: Certificate[];
    /** `<namespace>/<secret>` to the certificate it holds. */
    readonly bySecret: ReadonlyMap<string, string>;
    /** The CAs every Spinnaker trust store and ca.crt holds: the blocks of the stack output caCertificatePem. */
    readonly spinnakerCas: CaRef[];
}

export interface CertificateOptions {
    readonly now: Date;
    /** Fingerprints of certificates the offline engine generated are throwaway: shown only from a state. */
    readonly showGeneratedFingerprints: boolean;
    readonly namespace: string;
}

function fromTls(r: PublicResource, kind: "ca" | "leaf", o: CertificateOptions): Draft | undefined {
    const pem = str(r.outputs.certPem);
    if (!pem) return undefined;
    const cert = new X509Certificate(pem);
    const early = num(r.inputs.earlyRenewalHours) ?? 0;
    const notBefore = isoSeconds(new Date(cert.validFrom));
    const notAfter = isoSeconds(new Date(cert.validTo));
    const fp = fingerprintOf(cert);
    return {
        id: nameOf(r.parent) || r.name,
        kind,
        issuedBy: "pulumi",
        issuer: kind === "ca" ? nameOf(r.parent) || r.name : "",
        subject: subjectOf(cert),
        sans: sansOf(cert),
        key: keyOf(cert),
        secret: null,
        fingerprint: o.showGeneratedFingerprints ? fp : null,
        matchKey: caKeyOf(cert),
        notBefore,
        notAfter,
        renewAt: isoSeconds(new Date(Date.parse(notAfter) - early * HOUR)),
        datesNote: o.showGeneratedFingerprints
            ? "from the certificate in the state"
            : "planned: the tls provider issues it at pulumi up; these dates are for a pulumi up at --now",
        validityHours: num(r.inputs.validityPeriodHours) ?? null,
        renewBeforeHours: early,
        renewal:
            kind === "ca"
                ? `the first pulumi up at or after renewAt (earlyRenewalHours ${early}) re-issues the CA, and with it every certificate it signed`
                : `the first pulumi up at or after renewAt (earlyRenewalHours ${early}) re-issues it; nothing renews it without a pulumi up`,
    };
}

function fromCertManager(o: KubeObject, issuers: readonly KubeObject[], caId: string | undefined, opts: CertificateOptions, status: Props): Draft {
    const spec = asRecord(at(o.body, "spec"));
    const key = asRecord(spec.privateKey);
    const algorithm = str(key.algorithm) ?? "RSA";
    const size = num(key.size);
    const duration = goDurationHours(spec.duration) ?? CERT_MANAGER_DEFAULT_DURATION_HOURS;
    // cert-manager's default renewBefore is a third of the duration.
    const renewBefore = goDurationHours(spec.renewBefore) ?? duration / 3;
    const issuerName = str(at(spec, "issuerRef", "name")) ?? "";
    // cert-manager's default kind is a namespaced Issuer, read from the Certificate's own namespace.
    const clusterWide = str(at(spec, "issuerRef", "kind")) === "ClusterIssuer";
    const issuer = issuers.find((i) => i.name === issuerName && (clusterWide ? i.kind === "ClusterIssuer" : i.kind === "Issuer" && (i.namespace ?? opts.namespace) === (o.namespace ?? opts.namespace)));
    const issuerSpec = asRecord(issuer?.body.spec);
    const acmeServer = str(at(issuerSpec, "acme", "server"));
    const issuerText = issuerSpec.ca !== undefined ? (caId ?? `ClusterIssuer ${issuerName}`) : acmeServer ? `ACME ${new URL(acmeServer).host} (a public CA)` : issuerSpec.selfSigned !== undefined ? "self-signed" : `issuer ${issuerName}`;
    const notBefore = str(status.notBefore) ?? null;
    const notAfter = str(status.notAfter) ?? null;
    const renewAt = str(status.renewalTime) ?? null;
    const subject = [str(spec.commonName) && `CN=${str(spec.commonName)}`, ...asArray(at(spec, "subject", "organizations")).map((x) => `O=${String(x)}`)].filter(Boolean).join(", ");
    return {
        id: o.name,
        kind: spec.isCA === true ? "ca" : "leaf",
        issuedBy: "cert-manager",
        issuer: issuerText,
        subject: subject || null,
        sans: [...asArray(spec.dnsNames), ...asArray(spec.ipAddresses)].map(String),
        key: algorithm === "ECDSA" ? `ECDSA P-${size ?? 256}` : `${algorithm} ${size ?? 2048}`,
        secret: `${o.namespace ?? opts.namespace}/${str(spec.secretName) ?? o.name}`,
        fingerprint: null,
        matchKey: null,
        notBefore,
        notAfter,
        renewAt,
        datesNote: notAfter
            ? "from the Certificate's status in the state"
            : "not known before deployment: cert-manager issues it in the cluster after pulumi up (an export taken after pulumi up holds its status; or kubectl get certificate)",
        validityHours: duration,
        renewBeforeHours: renewBefore,
        renewal: `cert-manager renews it ${renewBefore} h before notAfter (renewBefore), by itself`,
    };
}

/** The stack's certificates, sorted by id, CA first. */
export function readCertificates(view: ExportView, o: CertificateOptions): CertificateSet {
    const drafts: Draft[] = [];
    const secretBeside = (r: PublicResource): string | null => {
        const s = view.resources.find((x) => x.type === "kubernetes:core/v1:Secret" && r.parent && x.parent === r.parent && x.inputs.type === "kubernetes.io/tls");
        const m = asRecord(s?.inputs.metadata);
        return s ? `${str(m.namespace) ?? o.namespace}/${str(m.name)}` : null;
    };
    const cas = view.resources.filter((r) => r.type === TLS_SELF_SIGNED).flatMap((r) => fromTls(r, "ca", o) ?? []);
    drafts.push(...cas);
    // A generated CA's issuing CA (components/pki/certificateAuthority.ts): a CA of its own, under its root,
    // which signs the leaves but the Go services' and is the only CA key cert-manager holds.
    const isIssuingCa = (r: PublicResource) => r.type === TLS_LOCALLY_SIGNED && r.name.endsWith(ISSUING_CERT_SUFFIX) && nameOf(r.parent) !== "";
    const issuingCas = view.resources.filter(isIssuingCa).flatMap((r) => {
        const d = fromTls(r, "ca", o);
        const root = nameOf(r.parent);
        return d ? [{ ...d, id: `${root}${ISSUING_ID_SUFFIX}`, issuer: root, renewal: `re-issued with its root ${root}, by the same pulumi up` }] : [];
    });
    drafts.push(...issuingCas);
    // The Secrets a CA (Cluster)Issuer reads (cert-manager's copies of the CA) hold the CA the program created.
    const caIssuers = view.objects.filter((x) => (isKind(x, "cert-manager.io", "ClusterIssuer") || isKind(x, "cert-manager.io", "Issuer")) && str(at(x.body, "spec", "ca", "secretName")));
    if (caIssuers.length && cas.length === 1) {
        const held = caIssuers
            .map((i) => view.objects.find((x) => isKind(x, "", "Secret") && x.name === str(at(i.body, "spec", "ca", "secretName")) && (i.kind === "ClusterIssuer" || x.namespace === i.namespace)))
            .filter((x): x is KubeObject => x !== undefined)
            .map((x) => `${x.namespace}/${x.name}`)
            .sort();
        // They hold the issuing CA when the CA has one (never the root's key), else the root.
        const holder = issuingCas.length === 1 ? drafts.indexOf(issuingCas[0]) : 0;
        drafts[holder] = { ...drafts[holder], secret: held.length ? [...new Set(held)].join(", ") : null };
    }
    // The stack output holds what every trust store holds: more than one CA during a rotation, or an imported CA.
    const outputPem = str(view.outputs.caCertificatePem) ?? "";
    const outputCas = outputPem ? pemCertificates(outputPem) : [];
    const spinnakerCas: CaRef[] = [];
    for (const cert of outputCas) {
        const fp = fingerprintOf(cert);
        const knownAt = drafts.findIndex((d) => d.kind === "ca" && d.matchKey === caKeyOf(cert));
        if (knownAt >= 0) {
            // The certificate the stores hold: the name-constrained one, where the program made it.
            const known = (drafts[knownAt] = { ...drafts[knownAt], fingerprint: o.showGeneratedFingerprints ? fp : null });
            spinnakerCas.push({ id: known.id, fingerprint: known.fingerprint });
            continue;
        }
        // Not created by a resource of this stack: imported through config when it is the only CA, else a
        // CA the stores keep beside the stack's own (a rotation). Either way its fingerprint is no throwaway.
        const imported = cas.length === 0 && outputCas.length === 1;
        const id = imported ? "spinnaker-ca" : `spinnaker-ca-${fp.replace(/:/g, "").slice(0, 8).toLowerCase()}`;
        const notAfter = isoSeconds(new Date(cert.validTo));
        drafts.push({
            id,
            kind: "ca",
            issuedBy: imported ? "imported" : "trusted only",
            issuer: cert.issuer === cert.subject ? id : distinguishedName(cert.issuer),
            subject: subjectOf(cert),
            sans: sansOf(cert),
            key: keyOf(cert),
            secret: null,
            fingerprint: fp,
            matchKey: caKeyOf(cert),
            notBefore: isoSeconds(new Date(cert.validFrom)),
            notAfter,
            renewAt: null,
            datesNote: imported ? "from the imported CA certificate (stack output caCertificatePem)" : "from the stack output caCertificatePem, which holds this CA beside the stack's own",
            validityHours: Math.round((Date.parse(notAfter) - new Date(cert.validFrom).getTime()) / HOUR),
            renewBeforeHours: null,
            renewal: imported ? "imported: its owner renews it, and the stack config must then be given the new one" : "no resource of this stack issues it: the stores trust it until the stack drops it from caCertificatePem",
        });
        spinnakerCas.push({ id, fingerprint: fp });
    }
    const caByKey = new Map(drafts.filter((d) => d.kind === "ca" && d.matchKey).map((d) => [d.matchKey!, d.id]));
    const singleCa = spinnakerCas.length === 1 ? spinnakerCas[0].id : undefined;

    for (const r of view.resources.filter((x) => x.type === TLS_LOCALLY_SIGNED && !isIssuingCa(x))) {
        const d = fromTls(r, "leaf", o);
        if (!d) continue;
        const caPem = str(r.inputs.caCertPem);
        const issuer = caPem ? caByKey.get(caKeyOf(new X509Certificate(caPem))) : undefined;
        drafts.push({ ...d, issuer: issuer ?? singleCa ?? "unknown", secret: secretBeside(r) });
    }

    const issuers = view.objects.filter((x) => isKind(x, "cert-manager.io", "ClusterIssuer") || isKind(x, "cert-manager.io", "Issuer"));
    for (const r of view.resources.filter((x) => /^kubernetes:cert-manager\.io\/[^:]+:Certificate$/.test(x.type))) {
        const ko = view.objects.find((x) => x.urn === r.urn);
        // A CA Issuer signs with the issuing CA when the stack's one CA has one.
        if (ko) drafts.push(fromCertManager(ko, issuers, issuingCas.length === 1 && cas.length === 1 ? issuingCas[0].id : singleCa, o, asRecord(r.outputs.status)));
    }

    // The Otterize operator issues in the cluster: the stack output names the Secret it writes.
    const serviceCertificates = asRecord(view.outputs.serviceCertificates);
    for (const r of view.resources.filter((x) => x.type === OTTERIZE)) {
        const service = r.name.replace(/^spin-/, "");
        const out = asRecord(serviceCertificates[service]);
        drafts.push({
            id: r.name,
            kind: "leaf",
            issuedBy: "otterize",
            issuer: "the Otterize credentials operator's provider",
            subject: null,
            sans: asArray(out.dnsNames).map(String),
            key: null,
            secret: str(out.secretName) ? `${o.namespace}/${str(out.secretName)}` : null,
            fingerprint: null,
            matchKey: null,
            notBefore: null,
            notAfter: null,
            renewAt: null,
            datesNote: "not in the state: the Otterize credentials operator issues it in the cluster, for the TTL its pod annotation sets",
            validityHours: null,
            renewBeforeHours: null,
            renewal: "the Otterize credentials operator renews it (cert-ttl annotation); the Java services restart on each renewal",
        });
    }

    const byId = new Map<string, Draft>();
    for (const d of drafts) if (!byId.has(d.id)) byId.set(d.id, d);
    // A CA outlives nothing (undefined); an issuer outside the stack (ACME) has no known end (null).
    const caNotAfter = (d: Draft): string | null | undefined => (d.kind === "ca" ? undefined : byId.has(d.issuer) ? byId.get(d.issuer)!.notAfter : null);
    const certificates: Certificate[] = [...byId.values()]
        .sort((a, b) => (a.kind !== b.kind ? (a.kind === "ca" ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((d) => {
            const { matchKey: _match, ...rest } = d;
            return { ...rest, usedBy: [], flags: flagsOf(d.notAfter, d.renewAt, caNotAfter(d), o.now) };
        });
    const bySecret = new Map(certificates.filter((c) => c.secret).map((c) => [c.secret!, c.id]));
    return { certificates, bySecret, spinnakerCas };
}
