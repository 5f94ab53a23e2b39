// Checks a stack export against a policy pack the way the engine checks a
// stack's state (pkg/engine's policy check, `pulumi policy analyze`): every
// resource that is neither a provider nor pending deletion goes to Analyze
// with its inputs and its provider's inputs, then all of them go to
// AnalyzeStack with their outputs, parents and dependencies. Alongside, every
// Kubernetes object is validated against its schema.
import { validateObject } from "./schemas";
import { AnalyzerResource, EnforcementLevel, PolicyPackHost } from "./policyHost";
import { ExportedResource, StackExport } from "./run";
import { SECRET_SIG, SECRET_SIG_KEY, SecretCrypter, isEnvelope } from "./secrets";

/** The wire form of a value the engine cannot know (an undecryptable secret here). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The pseudo-policy schema problems are reported under. */
export const SCHEMA_POLICY = "kubernetes-schema";

export interface Finding {
    readonly policy: string;
    readonly level: EnforcementLevel;
    readonly urn: string;
    readonly message: string;
}

export interface CheckResult {
    readonly findings: Finding[];
    /** Per policy, why it did not apply (deduplicated). */
    readonly notApplicable: Record<string, string[]>;
    /** Secrets the check could not read (encrypted by a provider it does not have); policies saw them as unknown. */
    readonly unreadableSecrets: number;
    readonly resources: number;
    readonly schemaChecked: number;
}

interface Converted {
    /** Wire form for the analyzer: secrets wrapped in the secret signature. */
    wire: unknown;
    /** Plain JSON for schema validation. */
    plain: unknown;
}

class StateReader {
    /** Distinct secrets that could not be read (each value is converted more than once). */
    private readonly unreadableSecrets = new Set<string>();
    constructor(private readonly crypter?: SecretCrypter) {}

    convert(v: unknown): Converted {
        if (isEnvelope(v)) {
            let text = v.plaintext;
            // The offline engine's own secrets: a wrong or missing passphrase is an error, not
            // unknown values (policies judging unknowns would report violations that are not there).
            if (text === undefined && v.ciphertext !== undefined && this.crypter) text = this.crypter.decrypt(v.ciphertext);
            if (text === undefined) {
                this.unreadableSecrets.add(v.ciphertext ?? JSON.stringify(v));
                return { wire: UNKNOWN, plain: "" };
            }
            const inner = this.convert(JSON.parse(text));
            return { wire: { [SECRET_SIG_KEY]: SECRET_SIG, value: inner.wire }, plain: inner.plain };
        }
        if (Array.isArray(v)) {
            const parts = v.map((x) => this.convert(x));
            return { wire: parts.map((p) => p.wire), plain: parts.map((p) => p.plain) };
        }
        if (v && typeof v === "object") {
            const entries = Object.entries(v)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, this.convert(x)] as const);
            return { wire: Object.fromEntries(entries.map(([k, p]) => [k, p.wire])), plain: Object.fromEntries(entries.map(([k, p]) => [k, p.plain])) };
        }
        return { wire: v, plain: v };
    }

    get unreadable(): number {
        return this.unreadableSecrets.size;
    }
}

const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
const isProvider = (type: string): boolean => type.startsWith("pulumi:providers:");

/** A provider reference (`<urn>::<id>`) to its URN. */
const providerUrn = (ref: string): string => ref.slice(0, ref.lastIndexOf("::"));

interface StateResource extends ExportedResource {
    delete?: boolean;
    protect?: boolean;
    ignoreChanges?: string[];
    aliases?: string[];
    propertyDependencies?: Record<string, string[]>;
}

/** Schema errors a server-side-apply patch may show: it sets only the fields it owns. */
const REQUIRED_FIELD = /must have required property/;

export async function checkState(exp: StackExport, host: PolicyPackHost): Promise<CheckResult> {
    const all = exp.deployment.resources as StateResource[];
    const p = exp.deployment.secrets_providers;
    const reader = new StateReader(p?.type === "offline-passphrase" ? SecretCrypter.fromProvider(p) : undefined);
    const providers = new Map(all.filter((r) => isProvider(r.type)).map((r) => [r.urn, r]));
    const live = all.filter((r) => !isProvider(r.type) && !r.delete);

    const findings: Finding[] = [];
    const notApplicable: Record<string, Set<string>> = {};
    const collect = (res: { diagnostics: { policyName: string; enforcementLevel: EnforcementLevel; urn: string; message: string; description: string }[]; notApplicable: { policyName: string; reason: string }[] }, fallbackUrn: string) => {
        for (const d of res.diagnostics) {
            // The SDK sends "<description>\n<message>"; the message alone says what and where.
            const message = d.message.startsWith(`${d.description}\n`) ? d.message.slice(d.description.length + 1) : d.message;
            findings.push({ policy: d.policyName, level: d.enforcementLevel, urn: d.urn || fallbackUrn, message });
        }
        for (const n of res.notApplicable) (notApplicable[n.policyName] ??= new Set()).add(n.reason);
    };

    const analyzerResource = (r: StateResource, props: Record<string, unknown>): AnalyzerResource => {
        const prov = r.provider ? providers.get(providerUrn(r.provider)) : undefined;
        return {
            urn: r.urn,
            type: r.type,
            name: urnName(r.urn),
            properties: reader.convert(props).wire as Record<string, unknown>,
            options: { protect: r.protect, ignoreChanges: r.ignoreChanges, additionalSecretOutputs: r.additionalSecretOutputs, aliases: r.aliases, parent: r.parent },
            provider: prov && { urn: prov.urn, type: prov.type, name: urnName(prov.urn), properties: reader.convert(prov.inputs ?? {}).wire as Record<string, unknown> },
            parent: r.parent,
            dependencies: r.dependencies,
            propertyDependencies: r.propertyDependencies,
        };
    };

    // Every Analyze call is in flight at once (the engine too analyzes resources as they come), and the
    // stack's; the schema checks run here meanwhile, while the pack works in its own process. The
    // findings are collected in the resources' order, so the report is the same every time.
    const rootUrn = live[0]?.urn ?? "";
    const [perResource, stack, schemas] = await Promise.all([
        Promise.all(live.map((r) => host.analyze(analyzerResource(r, r.inputs ?? {})))),
        host.analyzeStack(live.map((r) => analyzerResource(r, r.outputs ?? {}))),
        schemaFindings(live, reader),
    ]);
    perResource.forEach((result, i) => collect(result, live[i].urn));
    collect(stack, rootUrn);
    findings.push(...schemas.findings);

    return {
        findings,
        notApplicable: Object.fromEntries(Object.entries(notApplicable).map(([k, v]) => [k, [...v].sort()])),
        unreadableSecrets: reader.unreadable,
        resources: live.length,
        schemaChecked: schemas.checked,
    };
}

/** The Kubernetes objects checked against their schemas (the API server's own check, which no pack runs). */
async function schemaFindings(live: readonly StateResource[], reader: StateReader): Promise<{ findings: Finding[]; checked: number }> {
    // One turn of the event loop first, so the Analyze calls above are on the wire before this CPU work.
    await new Promise((resolve) => setImmediate(resolve));
    const findings: Finding[] = [];
    let checked = 0;
    for (const r of live) {
        if (!r.type.startsWith("kubernetes:")) continue;
        const obj = reader.convert(r.inputs ?? {}).plain as Record<string, unknown>;
        if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") continue;
        const result = await validateObject(obj as { apiVersion: string; kind: string });
        if (!result.checked) continue;
        checked++;
        const patch = r.type.endsWith(`:${obj.kind}Patch`);
        for (const problem of result.problems.filter((x) => !(patch && REQUIRED_FIELD.test(x)))) {
            findings.push({ policy: SCHEMA_POLICY, level: "mandatory", urn: r.urn, message: `${obj.kind} ${String((obj.metadata as Record<string, unknown> | undefined)?.name ?? "")}: ${problem}` });
        }
    }
    return { findings, checked };
}

/** The table `verify` prints: policy, level, resource, message. */
export function formatFindings(findings: readonly Finding[]): string {
    if (findings.length === 0) return "no violations";
    const rows = findings.map((f) => [f.policy, f.level, urnName(f.urn), f.message]);
    const head = ["POLICY", "LEVEL", "RESOURCE", "MESSAGE"];
    const widths = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => [0, 1, 2].map((i) => r[i].padEnd(widths[i])).join("  ") + "  " + r[3];
    return [line(head), ...rows.map(line)].join("\n");
}

export const mandatoryCount = (findings: readonly Finding[]): number => findings.filter((f) => f.level === "mandatory").length;
