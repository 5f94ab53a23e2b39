// Validates Kubernetes objects against the schemas the @kubernetes-models
// packages ship: the Kubernetes API's own for core objects, the projects'
// CRDs for Istio and cert-manager. The SpinnakerService has no usable CRD
// schema (spinnakerConfig is free-form), so it is checked against ours.
//
// The model packages are ES modules only. This project compiles to CommonJS,
// where TypeScript turns import() into require(), which an ESM-only package
// refuses; the Function below keeps a real import().
import * as path from "path";
import { pathToFileURL } from "url";
import { spinnakerServiceProblems } from "../components/spinnaker/schema";

const esmImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;

const NODE_MODULES = path.resolve(__dirname, "..", "node_modules");

interface ModelClass {
    new (data: unknown): { validate(): void };
}

/** The model module for an apiVersion and kind, as a path below node_modules; undefined when no package ships one. */
export function modelPath(apiVersion: string, kind: string): string | undefined {
    const slash = apiVersion.indexOf("/");
    const group = slash < 0 ? "" : apiVersion.slice(0, slash);
    if (group === "") return `kubernetes-models/${apiVersion}/${kind}.js`;
    if (group.endsWith(".istio.io")) return `@kubernetes-models/istio/${apiVersion}/${kind}.js`;
    if (group === "cert-manager.io" || group.endsWith(".cert-manager.io")) return `@kubernetes-models/cert-manager/${apiVersion}/${kind}.js`;
    if (group.endsWith(".k8s.io") || ["apps", "batch", "policy", "autoscaling"].includes(group)) return `kubernetes-models/${apiVersion}/${kind}.js`;
    return undefined;
}

const cache = new Map<string, Promise<ModelClass | undefined>>();

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
    const rel = modelPath(apiVersion, kind);
    if (!rel) return undefined;
    if (!cache.has(rel)) {
        cache.set(
            rel,
            esmImport(pathToFileURL(path.join(NODE_MODULES, rel)).href).then(
                (m) => m[kind] as ModelClass,
                () => undefined,
            ),
        );
    }
    return cache.get(rel)!;
}

export interface SchemaResult {
    /** false when no schema is known for the kind (nothing was checked). */
    readonly checked: boolean;
    readonly problems: readonly string[];
}

/** Checks one object (as it would be sent to the API server) against its schema. */
export async function validateObject(obj: { apiVersion?: string; kind?: string } & Record<string, unknown>): Promise<SchemaResult> {
    const { apiVersion, kind } = obj;
    if (!apiVersion || !kind) return { checked: false, problems: ["no apiVersion or kind"] };
    if (kind === "SpinnakerService") return { checked: true, problems: spinnakerServiceProblems(obj) };
    const Model = await modelFor(apiVersion, kind);
    if (!Model) return { checked: false, problems: [] };
    try {
        new Model(obj).validate();
        return { checked: true, problems: [] };
    } catch (e) {
        return { checked: true, problems: (e as Error).message.split(", ").map((p) => p.replace(/^data/, "")) };
    }
}
