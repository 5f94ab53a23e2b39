// Whether a cluster has converged on a CA rotation phase, judged from what it
// holds, not from what was applied: the certificates in each consumer's
// Secret (by fingerprint, the signer found by signature), and whether every
// pod runs with its Secret's current content (the checksum annotations the
// program puts on each pod template: a pod whose annotation differs started
// before the Secret changed). Pure: the cluster is read elsewhere
// (observeRotation in rotationObserver.ts).
import * as crypto from "crypto";
import type { CaRotationPhase } from "../config/pkiConfig";
import { pemBlocks } from "./caChain";
import type { CaTrust } from "./caRotation";
import { secretChecksum } from "./secretLayout";

export const TLS_CHECKSUM_ANNOTATION = "spinnaker-mtls/tls-checksum";
export const JVM_TRUSTSTORE_CHECKSUM_ANNOTATION = "spinnaker-mtls/jvm-truststore-checksum";

/** A Secret as the API server returns it: data base64-encoded. */
export interface ObservedSecret {
    readonly name: string;
    readonly data: Readonly<Record<string, string>>;
}

export interface ObservedPod {
    readonly name: string;
    readonly annotations: Readonly<Record<string, string>>;
    readonly ready: boolean;
}

/** One reader of TLS material: a Spinnaker service or a Redis. */
export interface Consumer {
    readonly name: string;
    readonly secretName: string;
    /** Its pods: spin-<name>-<hash>-<id> (a Deployment) or spin-<name>-<n> (a StatefulSet). */
    readonly podName: RegExp;
    /** Whether its pods also read the JVM-wide trust store. */
    readonly jvm: boolean;
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
        if (!secret) {
            out.push({ consumer: c.name, converged: false, notes: [`Secret ${c.secretName} not found`], trusted: [], pods: 0 });
            continue;
        }
        const bundle = certs(decode(secret, "ca.crt") ?? "");
        const roots = bundle.filter(selfSigned);
        const trusted = roots.map((r) => r.fingerprint256);
        if (roots.length !== want.roots) notes.push(`${c.secretName}'s ca.crt holds ${roots.length} CA root${roots.length === 1 ? "" : "s"}; ${phase} wants ${want.roots}`);
        const [leaf, ...carried] = certs(decode(secret, "tls.crt") ?? "");
        const root = leaf && rootOf(leaf, carried, bundle);
        if (!leaf) notes.push(`${c.secretName} holds no certificate in tls.crt`);
        else if (!root) notes.push(`${c.secretName}'s certificate does not chain to any CA its own ca.crt holds`);
        else if (roots.length === want.roots && roots.indexOf(root) !== want.signer) {
            notes.push(`${c.secretName}'s certificate is signed by the ${want.signer === 0 ? "second" : "first"} CA of ca.crt; ${phase} signs with the ${want.signer === 0 ? "first" : "second"}`);
        }
        const mine = pods.filter((p) => c.podName.test(p.name));
        const checksum = secretChecksum(secret.data);
        const jvmChecksum = c.jvm && jvmTrustStore ? secretChecksum(jvmTrustStore.data) : undefined;
        for (const p of mine) {
            const seen = p.annotations[TLS_CHECKSUM_ANNOTATION];
            if (seen === undefined) notes.push(`pod ${p.name} has no ${TLS_CHECKSUM_ANNOTATION} annotation, so which ${c.secretName} it started with is unknown`);
            else if (seen !== checksum) notes.push(`pod ${p.name} started with an earlier ${c.secretName} (its ${TLS_CHECKSUM_ANNOTATION} differs): it has not restarted since the Secret changed`);
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

/** The consumers of a stack: each certified service and each in-cluster Redis. */
export function consumersOf(services: readonly { name: string; java: boolean }[], redis: readonly string[]): Consumer[] {
    const escape = (s: string) => s.replace(/[-]/g, "\\-");
    return [
        ...services.map((s) => ({ name: s.name, secretName: `spin-${s.name}-tls`, podName: new RegExp(`^spin-${escape(s.name)}-[a-z0-9]+-[a-z0-9]{5}$`), jvm: s.java })),
        ...redis.map((r) => ({ name: r, secretName: `spin-${r}-tls`, podName: new RegExp(`^spin-${escape(r)}-[0-9]+$`), jvm: false })),
    ];
}
