// Whether a cluster has converged on a CA rotation phase, judged from what it
// holds, not from what was applied: the certificates in each consumer's
// Secrets (by fingerprint, the signer found by signature), and whether every
// pod runs with their current content. How that shows depends on who wrote
// the Secret and how the pod takes it in:
// - a Secret the program writes: the checksum annotation the program puts on
//   the pod template (a pod whose annotation differs started before the
//   Secret changed);
// - a Secret cert-manager writes, which Reloader restarts the pods on: the
//   pod was created no earlier than the Secret's last write;
// - Redis, which loads new files in place: the digest its tls-reload
//   container logged for the last reload (redisCommands.ts).
// Pure: the cluster is read elsewhere (observeConsumers in
// spinnakerMtls/rotationObservation.ts).
import * as crypto from "crypto";
import type { CaRotationPhase } from "../config/pkiConfig";
import { pemBlocks } from "./caChain";
import type { CaTrust } from "./caRotation";
import { secretChecksum } from "./secretLayout";
import { tlsReloadedDigest } from "../redis/redisCommands";

export const TLS_CHECKSUM_ANNOTATION = "spinnaker-mtls/tls-checksum";
export const JVM_TRUSTSTORE_CHECKSUM_ANNOTATION = "spinnaker-mtls/jvm-truststore-checksum";
/** The checksum of the CA trust bundle's Secret a pod started with (caTrustBundle.ts; backend cert-manager). */
export const CA_TRUST_CHECKSUM_ANNOTATION = "spinnaker-mtls/ca-trust-checksum";

/** A Secret as the API server returns it: data base64-encoded. */
export interface ObservedSecret {
    readonly name: string;
    readonly data: Readonly<Record<string, string>>;
    /** When it was last written (RFC 3339): the latest of its managedFields' times, else its creation. */
    readonly changedAt?: string;
}

export interface ObservedPod {
    readonly name: string;
    readonly annotations: Readonly<Record<string, string>>;
    readonly ready: boolean;
    /** Its creationTimestamp (RFC 3339). */
    readonly createdAt?: string;
    /** A Redis pod's: the digest its tls-reload container logged for its last reload, or why it is unknown. */
    readonly tlsReload?: { readonly digest?: string; readonly error?: string };
}

/**
 * How a consumer's pods take in new material: restarted on the program's checksum annotation
 * (a Secret the program writes), restarted by Reloader (a Secret cert-manager writes), or
 * reloaded in place (Redis's tls-reload container).
 */
export type Uptake = "checksum" | "reloader" | "in-place";

/** One reader of TLS material: a Spinnaker service or a Redis. */
export interface Consumer {
    readonly name: string;
    readonly secretName: string;
    /** The Secret its ca.crt is read from when not secretName: the program's trust bundle (backend cert-manager). */
    readonly trustSecretName?: string;
    /** Its pods: spin-<name>-<hash>-<id> (a Deployment) or spin-<name>-<n> (a StatefulSet). */
    readonly podName: RegExp;
    /** Whether its pods also read the JVM-wide trust store. */
    readonly jvm: boolean;
    readonly uptake: Uptake;
}

export interface ConsumerStatus {
    readonly consumer: string;
    readonly converged: boolean;
    /** Why not, or what is worth knowing (no pods); empty when converged without remark. */
    readonly notes: string[];
    /** The SHA-256 fingerprints of the self-signed CAs its ca.crt holds, in order. */
    readonly trusted: string[];
    /** The fingerprint of the root its certificate chains to, when found. */
    readonly signer?: string;
    readonly pods: number;
}

/** What a deployment's stores hold: how many CA roots, which of them signs, and the phase's name for messages. */
export interface StoreExpectation {
    readonly label: string;
    readonly roots: number;
    readonly signer: number;
}

/** The stores of a phase of this stack's config. */
export const phaseExpectation = (phase: CaRotationPhase): StoreExpectation => ({
    label: phase,
    roots: phase === "trust-both" || phase === "issue-next" ? 2 : 1,
    signer: phase === "issue-next" ? 1 : 0,
});

/** The stores a deployment recorded (its caTrust output). */
export const trustExpectation = (t: CaTrust): StoreExpectation => ({ label: "the last deployment's phase", roots: t.trusted.length, signer: Math.max(0, t.trusted.indexOf(t.signer)) });

const decode = (s: ObservedSecret, key: string): string | undefined => (s.data[key] === undefined ? undefined : Buffer.from(s.data[key], "base64").toString("utf8"));
const bytes = (s: ObservedSecret, key: string): Buffer => Buffer.from(s.data[key] ?? "", "base64");

const certs = (pem: string): crypto.X509Certificate[] => pemBlocks(pem).map((b) => new crypto.X509Certificate(b));
const issued = (child: crypto.X509Certificate, parent: crypto.X509Certificate): boolean => child.checkIssued(parent) && child.verify(parent.publicKey);
const selfSigned = (c: crypto.X509Certificate): boolean => issued(c, c);

/**
 * The root (in `bundle`) the leaf's chain ends at, through the intermediates
 * the leaf carries (a generated CA's issuing CA, cert-manager's tls.crt) and
 * the bundle's own; undefined when none.
 */
function rootOf(leaf: crypto.X509Certificate, carried: crypto.X509Certificate[], bundle: crypto.X509Certificate[]): crypto.X509Certificate | undefined {
    const pool = [...bundle, ...carried.filter((c) => !selfSigned(c))];
    let at = leaf;
    for (let hops = 0; hops <= pool.length; hops++) {
        const parent = pool.find((c) => c !== at && issued(at, c));
        if (!parent) return undefined;
        if (selfSigned(parent)) return parent;
        at = parent;
    }
    return undefined;
}

/** Each consumer's convergence on what `want` says the stores hold, and the stores' agreement with one another. */
export function rotationStatus(want: StoreExpectation, consumers: readonly Consumer[], secrets: ReadonlyMap<string, ObservedSecret>, pods: readonly ObservedPod[], jvmTrustStore?: ObservedSecret): ConsumerStatus[] {
    const phase = want.label;
    const out: ConsumerStatus[] = [];
    for (const c of consumers) {
        const notes: string[] = [];
        const secret = secrets.get(c.secretName);
        const trustName = c.trustSecretName ?? c.secretName;
        const trust = secrets.get(trustName);
        if (!secret || !trust) {
            out.push({ consumer: c.name, converged: false, notes: [`Secret ${!secret ? c.secretName : trustName} not found`], trusted: [], pods: 0 });
            continue;
        }
        const bundle = certs(decode(trust, "ca.crt") ?? "");
        const roots = bundle.filter(selfSigned);
        const trusted = roots.map((r) => r.fingerprint256);
        if (roots.length !== want.roots) notes.push(`${trustName}'s ca.crt holds ${roots.length} CA root${roots.length === 1 ? "" : "s"}; ${phase} wants ${want.roots}`);
        const [leaf, ...carried] = certs(decode(secret, "tls.crt") ?? "");
        const root = leaf && rootOf(leaf, carried, bundle);
        if (!leaf) notes.push(`${c.secretName} holds no certificate in tls.crt`);
        else if (!root) notes.push(`${c.secretName}'s certificate does not chain to any CA ${trustName === c.secretName ? "its own" : `${trustName}'s`} ca.crt holds`);
        else if (roots.length === want.roots && roots.indexOf(root) !== want.signer) {
            notes.push(`${c.secretName}'s certificate is signed by the ${want.signer === 0 ? "second" : "first"} CA of ca.crt; ${phase} signs with the ${want.signer === 0 ? "first" : "second"}`);
        }
        const mine = pods.filter((p) => c.podName.test(p.name));
        const jvmChecksum = c.jvm && jvmTrustStore ? secretChecksum(jvmTrustStore.data) : undefined;
        for (const p of mine) {
            notes.push(...uptakeNotes(c, p, secret, trust));
            const seenJvm = p.annotations[JVM_TRUSTSTORE_CHECKSUM_ANNOTATION];
            if (jvmChecksum && seenJvm !== undefined && seenJvm !== jvmChecksum) notes.push(`pod ${p.name} started with an earlier JVM trust store (its ${JVM_TRUSTSTORE_CHECKSUM_ANNOTATION} differs)`);
            if (!p.ready) notes.push(`pod ${p.name} is not ready`);
        }
        const converged = notes.length === 0;
        if (mine.length === 0) notes.push("no pods found: nothing runs with its material (Spinnaker not running here, or scaled to zero)");
        out.push({ consumer: c.name, converged, notes, trusted, ...(root ? { signer: root.fingerprint256 } : {}), pods: mine.length });
    }
    // Every store must hold the same CAs: a consumer left on another bundle would refuse its peers.
    const reference = out.find((s) => s.trusted.length > 0);
    return out.map((s) =>
        reference && s.trusted.length > 0 && s.trusted.join() !== reference.trusted.join()
            ? { ...s, converged: false, notes: [...s.notes, `its ca.crt holds other CAs than ${reference.consumer}'s`] }
            : s,
    );
}

/** Whether a pod runs with its consumer's Secrets as they are now, by how it takes them in (see the header); notes when not. */
function uptakeNotes(c: Consumer, p: ObservedPod, secret: ObservedSecret, trust: ObservedSecret): string[] {
    const notes: string[] = [];
    if (c.uptake === "in-place") {
        const want = tlsReloadedDigest(bytes(secret, "tls.crt"), bytes(trust, "ca.crt"));
        if (p.tlsReload?.digest === undefined) notes.push(`pod ${p.name}: which files its Redis loaded is unknown (${p.tlsReload?.error ?? "its tls-reload container has logged no reload"})`);
        else if (p.tlsReload.digest !== want) notes.push(`pod ${p.name}'s Redis last loaded another tls.crt or ca.crt than ${secret.name === trust.name ? secret.name : `${secret.name} and ${trust.name}`} now hold: its tls-reload container has not reloaded since they changed`);
        return notes;
    }
    if (c.uptake === "checksum") {
        const seen = p.annotations[TLS_CHECKSUM_ANNOTATION];
        if (seen === undefined) notes.push(`pod ${p.name} has no ${TLS_CHECKSUM_ANNOTATION} annotation, so which ${c.secretName} it started with is unknown`);
        else if (seen !== secretChecksum(secret.data)) notes.push(`pod ${p.name} started with an earlier ${c.secretName} (its ${TLS_CHECKSUM_ANNOTATION} differs): it has not restarted since the Secret changed`);
    } else {
        // cert-manager writes the certificate's Secret; Reloader restarts the pods after each write.
        const changed = secret.changedAt && Date.parse(secret.changedAt);
        const created = p.createdAt && Date.parse(p.createdAt);
        if (!changed || !created) notes.push(`pod ${p.name}: whether it started after ${c.secretName} last changed is unknown (no time recorded)`);
        // Times are in whole seconds: a pod created in the second of the write counts as after it.
        else if (created < changed) notes.push(`pod ${p.name} started (${p.createdAt}) before ${c.secretName} last changed (${secret.changedAt}): Reloader has not restarted it since`);
    }
    if (c.trustSecretName) {
        const seen = p.annotations[CA_TRUST_CHECKSUM_ANNOTATION];
        if (seen === undefined) notes.push(`pod ${p.name} has no ${CA_TRUST_CHECKSUM_ANNOTATION} annotation, so which ${trust.name} it started with is unknown`);
        else if (seen !== secretChecksum(trust.data)) notes.push(`pod ${p.name} started with an earlier ${trust.name} (its ${CA_TRUST_CHECKSUM_ANNOTATION} differs): it has not restarted since the Secret changed`);
    }
    return notes;
}

/** A reader of a stack's TLS material, as consumersOf takes it. */
export interface ConsumerSpec {
    readonly name: string;
    readonly java: boolean;
    /** Its Secret, when not spin-<name>-tls (a Go service's root-signed leaf beside cert-manager). */
    readonly secretName?: string;
    /** The program's trust bundle's Secret, when the consumer reads its CAs there. */
    readonly trustSecretName?: string;
    /** Whether cert-manager writes its Secret (Reloader restarts its pods). */
    readonly certManager?: boolean;
}

/** The consumers of a stack: each certified service and each in-cluster Redis (which reloads in place). */
export function consumersOf(services: readonly ConsumerSpec[], redis: readonly Omit<ConsumerSpec, "java" | "secretName" | "certManager">[]): Consumer[] {
    const escape = (s: string) => s.replace(/[-]/g, "\\-");
    const trust = (s: { trustSecretName?: string }) => (s.trustSecretName ? { trustSecretName: s.trustSecretName } : {});
    return [
        ...services.map((s): Consumer => ({
            name: s.name,
            secretName: s.secretName ?? `spin-${s.name}-tls`,
            ...trust(s),
            podName: new RegExp(`^spin-${escape(s.name)}-[a-z0-9]+-[a-z0-9]{5}$`),
            jvm: s.java,
            uptake: s.certManager ? "reloader" : "checksum",
        })),
        ...redis.map((r): Consumer => ({ name: r.name, secretName: `spin-${r.name}-tls`, ...trust(r), podName: new RegExp(`^spin-${escape(r.name)}-[0-9]+$`), jvm: false, uptake: "in-place" })),
    ];
}
