// The resource monitor the program talks to under the offline engine. It
// stands where the Pulumi engine would: computes URNs as the engine does,
// asks the emulated providers for outputs, keeps earlier outputs for
// resources whose inputs did not change (as state does), marks secret outputs
// as the engine does, and records everything for the export.
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { Emulator, Props, emulatorFor } from "./providers";
import { SECRET_SIG, SECRET_SIG_KEY } from "./secrets";

export type Operation = "create" | "update" | "replace" | "same" | "delete";

export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly custom: boolean;
    readonly id?: string;
    readonly parent?: string;
    readonly provider?: string;
    readonly dependencies: string[];
    /** Values may hold secret markers ({SECRET_SIG_KEY: SECRET_SIG, value}). */
    readonly inputs: Props;
    outputs: Props;
    readonly additionalSecretOutputs: string[];
    readonly op: Operation;
    /** The resource option: when the program stops declaring it, the engine forgets it without deleting it. */
    readonly retainOnDelete?: boolean;
}

export interface PriorResource {
    readonly type: string;
    readonly retainOnDelete?: boolean;
    readonly id?: string;
    readonly inputs: Props;
    readonly outputs: Props;
}

export const isSecretMarker = (v: unknown): v is { value: unknown } =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG && "value" in (v as object);

export const secretMarker = (value: unknown) => ({ [SECRET_SIG_KEY]: SECRET_SIG, value });

/** The value with every secret marker removed. */
export function unwrap(v: unknown): unknown {
    if (isSecretMarker(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

export function containsSecret(v: unknown): boolean {
    if (isSecretMarker(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecret);
    if (v && typeof v === "object") return Object.values(v).some(containsSecret);
    return false;
}

/** JSON with sorted keys: equal values give equal text. */
export function canonical(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (v && typeof v === "object") {
        return `{${Object.keys(v)
            .sort()
            .filter((k) => (v as Props)[k] !== undefined)
            .map((k) => `${JSON.stringify(k)}:${canonical((v as Props)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v ?? null);
}

function changedPaths(a: Props, b: Props, prefix = ""): string[] {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const out: string[] = [];
    for (const k of keys) {
        const p = prefix ? `${prefix}.${k}` : k;
        const x = a[k];
        const y = b[k];
        if (canonical(x) === canonical(y)) continue;
        if (x && y && typeof x === "object" && typeof y === "object" && !Array.isArray(x) && !Array.isArray(y)) {
            out.push(p, ...changedPaths(x as Props, y as Props, p));
        } else {
            out.push(p);
        }
    }
    return out;
}

/** A changed path of an input the provider updates in place (or below one). */
const inPlacePath = (emulator: Emulator, p: string) => (emulator.inPlace ?? []).some((k) => p === k || p.startsWith(`${k}.`));

function needsReplace(emulator: Emulator, changed: string[]): boolean {
    if (emulator.replaceOnChanges === "all") return changed.some((p) => !inPlacePath(emulator, p));
    const keys = emulator.replaceOnChanges;
    return changed.some((p) => keys.includes(p));
}

type Callback = (err: Error | null, resp?: unknown) => void;

export class OfflineMonitor extends MockMonitor {
    readonly records = new Map<string, RecordedResource>();
    readonly errors: Error[] = [];
    /** Prior URNs a resource took over through an alias: the engine neither keeps nor deletes them under the old URN. */
    readonly aliased = new Map<string, string>();
    /** Every URN a registered resource may have had before, its own aliases and those its ancestors' aliases imply. */
    private readonly formerUrns = new Map<string, string[]>();

    constructor(
        private readonly stack: string,
        private readonly project: string,
        private readonly prior: ReadonlyMap<string, PriorResource>,
        private readonly now: Date,
    ) {
        super({
            newResource: () => {
                throw new Error("OfflineMonitor handles registration itself");
            },
            call: (args) => {
                throw new Error(`offline engine: no emulation for function ${args.token}`);
            },
        });
    }

    /** The engine's URN: the type is qualified by every ancestor's type but the root stack's. */
    urnFor(parent: string, type: string, name: string, stack = this.stack, project = this.project): string {
        let qualified = type;
        if (parent) {
            const parentType = parent.split("::")[2];
            if (parentType !== "pulumi:pulumi:Stack") qualified = `${parentType}$${type}`;
        }
        return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
    }

    /**
     * The URNs a resource may have had, as the engine works them out: each
     * alias of its own (a URN, or a spec whose blanks are the resource's own
     * name, type and parent; noParent puts it at the stack root), and, for
     * every former URN of its parent, the URN it had under that parent.
     */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    formerUrnsOf(req: any, parent: string, type: string, name: string): string[] {
        const out: string[] = [];
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        for (const alias of (req.getAliasesList?.() ?? []) as any[]) {
            const urn: string = alias.getUrn?.() ?? "";
            if (urn) {
                out.push(urn);
                continue;
            }
            const spec = alias.getSpec?.();
            if (!spec) continue;
            const aliasParent = spec.getNoparent() ? "" : spec.getParenturn() || parent;
            out.push(this.urnFor(aliasParent, spec.getType() || type, spec.getName() || name, spec.getStack() || this.stack, spec.getProject() || this.project));
        }
        for (const formerParent of this.formerUrns.get(parent) ?? []) out.push(this.urnFor(formerParent, type, name));
        return [...new Set(out)];
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override async registerResource(req: any, callback: Callback): Promise<void> {
        try {
            const type: string = req.getType();
            const name: string = req.getName();
            const custom: boolean = req.getCustom();
            const parent: string = req.getParent();
            const urn = this.urnFor(parent, type, name);
            const former = this.formerUrnsOf(req, parent, type, name).filter((u) => u !== urn);
            this.formerUrns.set(urn, former);
            // The state entry this resource continues: its own, or the first of its former URNs the state holds.
            const priorUrn = this.prior.has(urn) ? urn : former.find((u) => this.prior.has(u) && !this.aliased.has(u));
            if (priorUrn && priorUrn !== urn) this.aliased.set(priorUrn, urn);
            const inputs = rpc.deserializeProperties(req.getObject()) as Props;
            const additionalSecretOutputs: string[] = req.getAdditionalsecretoutputsList();
            const record = this.register(urn, priorUrn, type, name, custom, parent, inputs, additionalSecretOutputs, req.getProvider(), req.getDependenciesList(), req.getRetainondelete() === true);
            const serialized = await rpc.serializeProperties("", record.outputs);
            const response = new resproto.RegisterResourceResponse();
            response.setUrn(urn);
            response.setId(record.id ?? "");
            response.setObject(structproto.Struct.fromJavaScript(serialized));
            callback(null, response);
        } catch (err) {
            this.errors.push(err as Error);
            callback(err as Error);
        }
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override registerResourceOutputs(req: any, callback: Callback): void {
        const record = this.records.get(req.getUrn());
        if (!record) {
            callback(new Error(`unknown resource ${req.getUrn()}`));
            return;
        }
        record.outputs = rpc.deserializeProperties(req.getOutputs()) as Props;
        callback(null, {});
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override async readResource(_req: any, callback: Callback): Promise<void> {
        callback(new Error("offline engine: reading existing resources (.get) is not emulated"));
    }

    /**
     * The engine's builtin function a StackReference reads through, for this
     * stack's own name only (as a self-managed backend names it): the outputs
     * the previous state recorded, none without one. Every other function is
     * the mocks', which emulate none.
     */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override async invoke(req: any, callback: Callback): Promise<void> {
        if (req.getTok() !== "pulumi:pulumi:readStackOutputs") return super.invoke(req, callback);
        try {
            const { name } = rpc.deserializeProperties(req.getArgs()) as { name?: string };
            const self = `organization/${this.project}/${this.stack}`;
            if (name !== self) throw new Error(`offline engine: stack outputs are read for this stack only (${self}), not ${name}`);
            const last = this.prior.get(this.urnFor("", "pulumi:pulumi:Stack", `${this.project}-${this.stack}`))?.outputs ?? {};
            const result = { name, outputs: last, secretOutputNames: Object.keys(last).filter((k) => containsSecret(last[k])).sort() };
            const response = new provproto.InvokeResponse();
            response.setReturn(structproto.Struct.fromJavaScript(await rpc.serializeProperties("", result)));
            callback(null, response);
        } catch (err) {
            callback(err as Error);
        }
    }

    private register(
        urn: string,
        priorUrn: string | undefined,
        type: string,
        name: string,
        custom: boolean,
        parent: string,
        inputs: Props,
        additionalSecretOutputs: string[],
        provider: string,
        dependencies: string[],
        retainOnDelete = false,
    ): RecordedResource {
        if (this.records.has(urn)) throw new Error(`duplicate resource URN ${urn}`);
        let op: Operation = "create";
        let id: string | undefined;
        let outputs: Props = {};
        if (custom) {
            const emulator = emulatorFor(type);
            if (!emulator) throw new Error(`offline engine: no emulated provider for ${type}`);
            const plainInputs = unwrap(inputs) as Props;
            const before = priorUrn ? this.prior.get(priorUrn) : undefined;
            const changed = before && before.type === type ? changedPaths(unwrap(before.inputs) as Props, plainInputs) : undefined;
            // The prior outputs with the planned values of the in-place inputs: what an update keeps, and what renewal is judged on.
            const planned = before && { ...(unwrap(before.outputs) as Props), ...Object.fromEntries((emulator.inPlace ?? []).filter((k) => k in plainInputs).map((k) => [k, plainInputs[k]])) };
            const renew = planned !== undefined && emulator.mustRenew?.(planned, this.now) === true;
            if (before && changed && changed.length === 0 && !renew) {
                op = "same";
                id = before.id;
                outputs = unwrap(before.outputs) as Props;
            } else if (before && changed && changed.length > 0 && !renew && emulator.inPlace && changed.every((p) => inPlacePath(emulator, p))) {
                op = "update";
                id = before.id;
                outputs = planned!;
            } else {
                const created = emulator.create(plainInputs, { name, type, now: this.now });
                outputs = created.outputs;
                id = created.id;
                if (before) {
                    op = !changed || needsReplace(emulator, changed) || changed.length === 0 ? "replace" : "update";
                    if (op === "update") id = before.id;
                }
            }
            // The engine keeps an output secret when its input was, and marks additionalSecretOutputs.
            outputs = Object.fromEntries(
                Object.entries(outputs).map(([k, v]) => [k, additionalSecretOutputs.includes(k) || containsSecret(inputs[k]) ? secretMarker(v) : v]),
            );
        } else if (priorUrn) {
            op = "same";
        }
        const record: RecordedResource = {
            urn,
            type,
            custom,
            id,
            parent: parent || undefined,
            provider: provider || undefined,
            dependencies: [...new Set(dependencies)].sort(),
            inputs,
            outputs,
            additionalSecretOutputs,
            op,
            ...(retainOnDelete ? { retainOnDelete } : {}),
        };
        this.records.set(urn, record);
        return record;
    }
}
