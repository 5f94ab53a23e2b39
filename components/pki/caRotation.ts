// A CA rotation in phases, pure: which CAs the stores trust and which CA signs
// in each phase, how a CA is named across deployments, and the gate that
// refuses a step a rolling restart could not take without failed handshakes.
//
// The gate's rule is the handshake itself. While a phase rolls out, some pods
// still hold the last deployment's certificate and stores and some hold the
// new ones, in any mix. Every certificate of either deployment must then be
// trusted by every store of either: both signers must lie in both trust sets.
// That admits none → trust-both → issue-next → trust-next (and each step
// back that keeps it), and refuses a skipped phase, an abandoned rotation
// after issue-next, and a CA swapped all at once.
import * as crypto from "crypto";
import type { CaRotationPhase, ImportedCa, KeySpec } from "../config/pkiConfig";
import { fq } from "../config/reader";
import { pemBlocks } from "./caChain";

/** What the stores of one deployment trust and which CA signs its certificates, by CA identity (caIdentity). */
export interface CaTrust {
    /** The CAs every store holds, current first. */
    readonly trusted: string[];
    /** The CA that signs every certificate the program issues. */
    readonly signer: string;
}

export type CaRole = "current" | "next";

/** Which CAs each phase trusts and which one signs. */
export const PHASE_PLAN: Readonly<Record<CaRotationPhase, { readonly trusted: readonly CaRole[]; readonly signer: CaRole }>> = {
    none: { trusted: ["current"], signer: "current" },
    "trust-both": { trusted: ["current", "next"], signer: "current" },
    "issue-next": { trusted: ["current", "next"], signer: "next" },
    "trust-next": { trusted: ["next"], signer: "next" },
};

/** The CAs a phase needs at all: trust-next drops the current CA's resources, so finishing renames nothing. */
export const phaseRoles = (phase: CaRotationPhase): CaRole[] => [...new Set<CaRole>([...PHASE_PLAN[phase].trusted, PHASE_PLAN[phase].signer])];

/**
 * The resource name of a generated CA of one generation. The first keeps the
 * name it always had, so that existing stacks carry on unchanged.
 */
export const caResourceName = (generation: number): string => (generation === 1 ? "spinnaker-ca" : `spinnaker-ca-g${generation}`);

export interface CaSource {
    /** Set for an imported CA. */
    readonly imported?: Pick<ImportedCa, "certPem">;
    readonly generation: number;
    readonly key: KeySpec;
    readonly organization: string;
}

/**
 * A CA's identity across deployments, known before any resource exists: an
 * imported CA by the SHA-256 fingerprint of the certificate that signs; a
 * generated one by its generation and by what its certificate is made from
 * (a new key spec or organization replaces it, which is a new CA to every peer).
 */
export function caIdentity(ca: CaSource): string {
    if (ca.imported) {
        const signer = new crypto.X509Certificate(pemBlocks(ca.imported.certPem)[0]);
        return `imported sha256:${signer.fingerprint256.replace(/:/g, "").toLowerCase()}`;
    }
    const size = ca.key.algorithm === "RSA" ? `RSA-${ca.key.rsaBits}` : `ECDSA-${ca.key.ecdsaCurve}`;
    return `generated ${ca.generation} ${size} O=${ca.organization}`;
}

/** The trust of one phase, from the identities of its CAs. */
export function caTrustOf(phase: CaRotationPhase, identities: Readonly<Partial<Record<CaRole, string>>>): CaTrust {
    const plan = PHASE_PLAN[phase];
    return { trusted: plan.trusted.map((r) => identities[r]!), signer: identities[plan.signer]! };
}

/** A `caTrust` stack output as the last deployment recorded it; undefined when absent (a deployment before this output existed) or not of that shape. */
export function parseCaTrust(value: unknown): CaTrust | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const { trusted, signer } = value as Record<string, unknown>;
    if (!Array.isArray(trusted) || trusted.length === 0 || !trusted.every((t) => typeof t === "string") || typeof signer !== "string") return undefined;
    return { trusted: [...trusted] as string[], signer };
}

/** The environment variable that lets one `pulumi up` past the gate, naming the phase it forces. */
export const FORCE_CA_ROTATION_ENV = "SPINNAKER_MTLS_FORCE_CA_ROTATION";

const describe = (identity: string): string => {
    const generated = /^generated (\d+) (\S+) O=(.*)$/.exec(identity);
    if (generated) return `the generated CA of generation ${generated[1]} (${generated[2]}, O=${generated[3]})`;
    const imported = /^imported sha256:([0-9a-f]+)$/.exec(identity);
    return imported ? `the imported CA sha256:${imported[1].slice(0, 16)}…` : identity;
};
const list = (ids: readonly string[]): string => ids.map(describe).join(" and ");

/**
 * What is wrong with going from the last deployment's trust to the planned
 * one, as problems naming caRotation; none when safe, when there was no last
 * deployment to judge by, or when `forced` names this very phase.
 */
export function caRotationGateProblems(last: CaTrust | undefined, planned: CaTrust, phase: CaRotationPhase, forced: string | undefined): string[] {
    if (!last) return [];
    const bothTrust = (id: string) => last.trusted.includes(id) && planned.trusted.includes(id);
    const untrusted = [...new Set([last.signer, planned.signer])].filter((id) => !bothTrust(id));
    if (untrusted.length === 0 || forced === phase) return [];
    const why = untrusted
        .map((id) => {
            const missing = [last.trusted.includes(id) ? undefined : "the last deployment's stores", planned.trusted.includes(id) ? undefined : "this deployment's stores"].filter(Boolean).join(" and ");
            const signs = [id === last.signer ? "signed the last deployment's certificates" : undefined, id === planned.signer ? "would sign this one's" : undefined].filter(Boolean).join(" and ");
            return `${describe(id)} ${signs}, but ${missing} do not trust it`;
        })
        .join("; ");
    return [
        `${fq("caRotation")} is "${phase}", and the last deployment's stores trust ${list(last.trusted)} with certificates signed by ${describe(last.signer)}: ${why}. ` +
            "While pods restart one by one, old and new certificates and stores meet, so handshakes would fail. " +
            'Take one phase per pulumi up: none, trust-both, issue-next, trust-next, then finish (docs/ca-rotation.md). ' +
            `A CA changed without a rotation (caCertPem, caGeneration, keyAlgorithm, ecdsaCurve, rsaBits or organization of a generated CA) is refused the same way. ` +
            `To go past this check knowingly, for one pulumi up, set ${FORCE_CA_ROTATION_ENV}=${phase}`,
    ];
}

/**
 * How far a stack's CA rotations have gone, comparable between stacks that
 * started at the same generation: four steps per rotation (its three phases,
 * then the finish, which adds one to caGeneration).
 */
export function rotationProgress(caGeneration: number, caRotation: CaRotationPhase): number {
    return 4 * (caGeneration - 1) + ["none", "trust-both", "issue-next", "trust-next"].indexOf(caRotation);
}
