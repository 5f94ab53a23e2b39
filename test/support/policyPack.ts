// The policy pack as the Pulumi CLI runs it (its own process, gRPC), started
// once for every test that needs it and stopped when mocha finishes, plus
// helpers that put hand-made resources through the same check `verify` runs.
import { POLICY_PACK_DIR } from "../../engine/verify";
import { CheckResult, checkState } from "../../engine/policyCheck";
import { parsePolicyConfigFile, reconcilePolicyConfig } from "../../engine/policyConfig";
import { PolicyPackHost } from "../../engine/policyHost";
import { ExportedResource, StackExport } from "../../engine/run";

let host: Promise<PolicyPackHost> | undefined;

export function policyPack(): Promise<PolicyPackHost> {
    host ??= PolicyPackHost.start(POLICY_PACK_DIR);
    return host;
}

export async function stopPolicyPack(): Promise<void> {
    const h = host;
    host = undefined;
    if (h) (await h.catch(() => undefined))?.close();
}

export interface Fixture {
    readonly type: string;
    readonly name?: string;
    readonly inputs: Record<string, unknown>;
    /** What AnalyzeStack sees; the inputs when not given. */
    readonly outputs?: Record<string, unknown>;
    /** The parent's type and name, when the resource has one. */
    readonly parent?: { readonly type: string; readonly name: string };
}

/** A Kubernetes object as a Pulumi resource: typed token from apiVersion and kind (`...Patch` for a server-side-apply patch). */
export function kube(apiVersion: string, kind: string, metadata: Record<string, unknown>, rest: Record<string, unknown>, opts: { patch?: boolean } = {}): Fixture {
    const slash = apiVersion.indexOf("/");
    const module = slash < 0 ? `core/${apiVersion}` : apiVersion;
    return { type: `kubernetes:${module}:${kind}${opts.patch ? "Patch" : ""}`, name: String(metadata.name), inputs: { apiVersion, kind, metadata, ...rest } };
}

export function stackExport(fixtures: readonly Fixture[]): StackExport {
    const urn = (type: string, name: string) => `urn:pulumi:test::spinnaker-mtls::${type}::${name}`;
    const parents: ExportedResource[] = [];
    for (const f of fixtures) {
        if (f.parent && !parents.some((p) => p.urn === urn(f.parent!.type, f.parent!.name))) {
            parents.push({ urn: urn(f.parent.type, f.parent.name), custom: false, type: f.parent.type, inputs: {}, outputs: {} });
        }
    }
    const resources: ExportedResource[] = [
        ...parents,
        ...fixtures.map((f, i) => ({
            urn: f.parent ? `urn:pulumi:test::spinnaker-mtls::${f.parent.type}$${f.type}::${f.name ?? `r${i}`}` : urn(f.type, f.name ?? `r${i}`),
            custom: f.type !== "pulumi:pulumi:Stack",
            type: f.type,
            inputs: f.inputs,
            outputs: f.outputs ?? f.inputs,
            ...(f.parent ? { parent: urn(f.parent.type, f.parent.name) } : {}),
        })),
    ];
    // Through JSON, as an export file would be.
    return JSON.parse(JSON.stringify({ version: 3, deployment: { manifest: { magic: "", version: "test" }, resources } })) as StackExport;
}

/** The pack's verdict (with `config` in policy-config-file form) on these resources, through the same check as `verify --state`. */
export async function evaluate(fixtures: readonly Fixture[], config: Record<string, unknown> = {}, tags: Record<string, string> = {}): Promise<CheckResult> {
    const h = await policyPack();
    await h.configure(reconcilePolicyConfig(await h.info(), parsePolicyConfigFile(JSON.stringify(config))));
    await h.configureStack({ stack: "test", project: "spinnaker-mtls", organization: "organization", dryRun: true, tags });
    return checkState(stackExport(fixtures), h);
}

/** The messages one policy reports on these resources. */
export async function messages(policy: string, fixtures: readonly Fixture[], config: Record<string, unknown> = {}): Promise<string[]> {
    return (await evaluate(fixtures, config)).findings.filter((f) => f.policy === policy).map((f) => f.message);
}
