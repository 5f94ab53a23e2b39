// A stack export with every secret taken out, the only form the graph's
// model ever reads. The graph holds no private key or password: rather than
// trusting each reader to skip them, the secrets are gone before any reader
// runs. Every Pulumi secret envelope becomes the string REDACTED, whatever it
// held (ciphertext, or plaintext from --show-secrets or an in-memory run).
//
// One exception, because the settings the graph needs live there: with the
// otterize backend the whole SpinnakerService spec is a secret (the
// operator's pod annotations carry a keystore password). Its plaintext, when
// present, is opened, and every pod annotation map in it is dropped before
// anything reads it; the settings the graph reads are references and URLs,
// never values of secrets (the policy pack refuses secrets written there).
import type { ExportedResource, StackExport } from "../../engine/run";
import { isEnvelope } from "../../engine/secrets";
import { KubeObject, Props, isRecord, kubeObject } from "../../policies/lib/kube";
import { isSpinnakerService } from "../../policies/lib/spinnaker";

export const REDACTED = "[secret]";

export interface PublicResource {
    readonly urn: string;
    readonly type: string;
    /** The last part of the URN. */
    readonly name: string;
    readonly parent: string | null;
    readonly inputs: Props;
    readonly outputs: Props;
}

export interface ExportView {
    readonly stack: string;
    readonly project: string;
    readonly outputs: Props;
    readonly resources: readonly PublicResource[];
    /** The Kubernetes objects the stack declares (from inputs), in stack order. */
    readonly objects: readonly KubeObject[];
    /** Whether some setting the graph reads was encrypted (a real export without --show-secrets). */
    readonly unreadableSettings: boolean;
}

export const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

function redact(v: unknown): unknown {
    if (isEnvelope(v)) return REDACTED;
    if (Array.isArray(v)) return v.map(redact);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
    return v;
}

/** Drops every `podAnnotations` and `annotations` map below a SpinnakerService's settings. */
function withoutAnnotations(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(withoutAnnotations);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "podAnnotations" && k !== "annotations").map(([k, x]) => [k, withoutAnnotations(x)]));
    return v;
}

/** A SpinnakerService's spec when it is one secret envelope in plaintext: opened, annotations dropped, anything still secret redacted. */
function openSpinnakerSpec(inputs: Props): { inputs: Props; unreadable: boolean } {
    const spec = inputs.spec;
    if (!isEnvelope(spec)) return { inputs, unreadable: false };
    if (spec.plaintext === undefined) return { inputs: { ...inputs, spec: REDACTED }, unreadable: true };
    const opened = withoutAnnotations(redact(JSON.parse(spec.plaintext) as unknown));
    return { inputs: { ...inputs, spec: opened }, unreadable: false };
}

const stackOfUrn = (urn: string): { stack: string; project: string } => {
    const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
    return { stack: m?.[1] ?? "unknown", project: m?.[2] ?? "unknown" };
};

export function publicView(exp: StackExport): ExportView {
    const all = exp.deployment.resources as (ExportedResource & { delete?: boolean })[];
    const live = all.filter((r) => !r.delete && !r.type.startsWith("pulumi:providers:"));
    let unreadableSettings = false;
    const resources: PublicResource[] = live.map((r) => {
        let inputs = (r.inputs ?? {}) as Props;
        const ko = kubeObject(r.type, { apiVersion: inputs.apiVersion, kind: inputs.kind });
        if (ko && isSpinnakerService(ko)) {
            const opened = openSpinnakerSpec(inputs);
            inputs = opened.inputs;
            unreadableSettings ||= opened.unreadable;
        }
        return {
            urn: r.urn,
            type: r.type,
            name: urnName(r.urn),
            parent: r.parent ?? null,
            inputs: redact(inputs) as Props,
            outputs: redact(r.outputs ?? {}) as Props,
        };
    });
    const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const { stack, project } = stackOfUrn(root?.urn ?? all[0]?.urn ?? "");
    const objects = resources.flatMap((r) => kubeObject(r.type, r.inputs, r.urn) ?? []);
    return { stack, project, outputs: root?.outputs ?? {}, resources, objects, unreadableSettings };
}
