// Runs a policy pack the way the Pulumi CLI does, and speaks the analyzer
// protocol to it: the pack's own process (`@pulumi/pulumi/cmd/run-policy-pack`
// started in the pack's folder, TypeScript type-checked by ts-node the first time
// the same sources start: packTypeChecks.ts), its own
// gRPC server, the same RPCs in the same order as the engine. What the pack
// decides is therefore what `pulumi preview --policy-pack` would decide.
import { LOAD_FAILURE, PolicyPackProcess, spawnPolicyPack } from "./policyPackProcess";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"]; // the protocol's enum order

export const levelToProto = (l: EnforcementLevel): analyzerpb.EnforcementLevel => LEVELS.indexOf(l) as analyzerpb.EnforcementLevel;
export const levelFromProto = (l: analyzerpb.EnforcementLevel): EnforcementLevel => LEVELS[l];

export interface PolicyInfo {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly configSchema?: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

export interface AnalyzerInfo {
    readonly name: string;
    readonly version: string;
    readonly policies: PolicyInfo[];
    readonly initialConfig: Record<string, PolicyConfig>;
}

export interface PolicyConfig {
    readonly enforcementLevel?: EnforcementLevel;
    readonly properties?: Record<string, unknown>;
}

export interface ResourceOptions {
    readonly protect?: boolean;
    readonly ignoreChanges?: string[];
    readonly additionalSecretOutputs?: string[];
    readonly aliases?: string[];
    readonly parent?: string;
}

/** A resource as the engine hands it to an analyzer; properties already in wire form (see policyState.ts). */
export interface AnalyzerResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly properties: Record<string, unknown>;
    readonly options: ResourceOptions;
    readonly provider?: { urn: string; type: string; name: string; properties: Record<string, unknown> };
    readonly parent?: string;
    readonly dependencies?: string[];
    readonly propertyDependencies?: Record<string, string[]>;
}

export interface Diagnostic {
    readonly policyName: string;
    readonly policyPackName: string;
    readonly description: string;
    readonly message: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly urn: string;
}

export interface AnalyzeResult {
    readonly diagnostics: Diagnostic[];
    readonly notApplicable: { policyName: string; reason: string }[];
}

export interface StackInfo {
    readonly stack: string;
    readonly project: string;
    readonly organization: string;
    readonly dryRun: boolean;
    readonly tags: Record<string, string>;
    readonly config?: Record<string, string>;
    readonly configSecretKeys?: string[];
}

function call<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(new Error(err.details || err.message)) : resolve(res))));
}

function toOptions(o: ResourceOptions): analyzerpb.AnalyzerResourceOptions {
    const opts = new analyzerpb.AnalyzerResourceOptions();
    opts.setProtect(o.protect ?? false);
    opts.setIgnorechangesList(o.ignoreChanges ?? []);
    opts.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
    opts.setAliasesList(o.aliases ?? []);
    opts.setCustomtimeouts(new analyzerpb.AnalyzerResourceOptions.CustomTimeouts());
    if (o.parent) opts.setParent(o.parent);
    return opts;
}

function toProvider(p: NonNullable<AnalyzerResource["provider"]>): analyzerpb.AnalyzerProviderResource {
    const out = new analyzerpb.AnalyzerProviderResource();
    out.setUrn(p.urn);
    out.setType(p.type);
    out.setName(p.name);
    out.setProperties(Struct.fromJavaScript(p.properties as never));
    return out;
}

/** The fields Analyze's request and AnalyzeStack's resources share. */
function describe<M extends analyzerpb.AnalyzeRequest | analyzerpb.AnalyzerResource>(msg: M, r: AnalyzerResource): M {
    msg.setUrn(r.urn);
    msg.setType(r.type);
    msg.setName(r.name);
    msg.setProperties(Struct.fromJavaScript(r.properties as never));
    msg.setOptions(toOptions(r.options));
    if (r.provider) msg.setProvider(toProvider(r.provider));
    return msg;
}

function fromResponse(res: analyzerpb.AnalyzeResponse): AnalyzeResult {
    return {
        diagnostics: res.getDiagnosticsList().map((d) => ({
            policyName: d.getPolicyname(),
            policyPackName: d.getPolicypackname(),
            description: d.getDescription(),
            message: d.getMessage(),
            enforcementLevel: levelFromProto(d.getEnforcementlevel()),
            urn: d.getUrn(),
        })),
        notApplicable: res.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
    };
}

export class PolicyPackHost {
    private constructor(
        private readonly pack: PolicyPackProcess,
        private readonly client: AnalyzerClient,
    ) {}

    /**
     * run-policy-pack reports a module that fails to load (a TypeScript error, an
     * exception) on stderr and goes on serving whatever it did load: such a pack
     * judges nothing here. Checked before every call, since stderr may arrive
     * after the port.
     */
    private assertLoaded(): void {
        const out = this.pack.stderr();
        if (LOAD_FAILURE.test(out)) throw new Error(`the policy pack failed to load:\n${out.trim()}`);
    }

    /**
     * Starts the pack in `packDir` and connects to it. Type errors and load
     * failures reject with the pack's own output (policyPackProcess.ts).
     */
    static async start(packDir: string, timeoutMs = 180_000): Promise<PolicyPackHost> {
        return PolicyPackHost.connect(spawnPolicyPack(packDir, timeoutMs));
    }

    /** Connects to a pack already started, once it serves. */
    static async connect(pack: PolicyPackProcess): Promise<PolicyPackHost> {
        const port = await pack.port;
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 400 * 1024 * 1024 });
        return new PolicyPackHost(pack, client);
    }

    async info(): Promise<AnalyzerInfo> {
        this.assertLoaded();
        const res = await call<Empty, analyzerpb.AnalyzerInfo>(this.client.getAnalyzerInfo.bind(this.client), new Empty());
        const initialConfig: Record<string, PolicyConfig> = {};
        res.getInitialconfigMap().forEach((v, k) => {
            initialConfig[k] = { enforcementLevel: levelFromProto(v.getEnforcementlevel()), properties: v.getProperties()?.toJavaScript() };
        });
        return {
            name: res.getName(),
            version: res.getVersion(),
            policies: res.getPoliciesList().map((p) => {
                const schema = p.getConfigschema();
                return {
                    name: p.getName(),
                    description: p.getDescription(),
                    enforcementLevel: levelFromProto(p.getEnforcementlevel()),
                    configSchema: schema && {
                        properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, Record<string, unknown>>,
                        required: schema.getRequiredList(),
                    },
                };
            }),
            initialConfig,
        };
    }

    async configure(config: Record<string, PolicyConfig>): Promise<void> {
        this.assertLoaded();
        const req = new analyzerpb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of Object.entries(config)) {
            const pc = new analyzerpb.PolicyConfig();
            if (c.enforcementLevel) pc.setEnforcementlevel(levelToProto(c.enforcementLevel));
            pc.setProperties(Struct.fromJavaScript((c.properties ?? {}) as never));
            map.set(name, pc);
        }
        await call(this.client.configure.bind(this.client), req);
    }

    async configureStack(s: StackInfo): Promise<void> {
        this.assertLoaded();
        const req = new analyzerpb.AnalyzerStackConfigureRequest();
        req.setStack(s.stack);
        req.setProject(s.project);
        req.setOrganization(s.organization);
        req.setDryRun(s.dryRun);
        req.setConfigSecretKeysList(s.configSecretKeys ?? []);
        for (const [k, v] of Object.entries(s.config ?? {})) req.getConfigMap().set(k, v);
        for (const [k, v] of Object.entries(s.tags)) req.getTagsMap().set(k, v);
        await call(this.client.configureStack.bind(this.client), req);
    }

    async analyze(r: AnalyzerResource): Promise<AnalyzeResult> {
        this.assertLoaded();
        return fromResponse(await call(this.client.analyze.bind(this.client), describe(new analyzerpb.AnalyzeRequest(), r)));
    }

    async analyzeStack(resources: AnalyzerResource[]): Promise<AnalyzeResult> {
        this.assertLoaded();
        const req = new analyzerpb.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((r) => {
                const a = describe(new analyzerpb.AnalyzerResource(), r);
                if (r.parent) a.setParent(r.parent);
                a.setDependenciesList(r.dependencies ?? []);
                const deps = a.getPropertydependenciesMap();
                for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                    if (urns.length === 0) continue;
                    const pd = new analyzerpb.AnalyzerPropertyDependencies();
                    pd.setUrnsList(urns);
                    deps.set(k, pd);
                }
                return a;
            }),
        );
        return fromResponse(await call(this.client.analyzeStack.bind(this.client), req));
    }

    /** Stops the pack's process; safe to call twice. */
    close(): void {
        this.client.close();
        this.pack.kill();
    }
}
