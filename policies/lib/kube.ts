// Reading Kubernetes objects out of Pulumi resources by content, so the rules
// judge any program's resources: typed ones, CustomResources, objects from
// YAML, and server-side-apply patches (`...Patch` types), whatever version.

export type Props = Record<string, unknown>;

export const isRecord = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v);

/** The value at a path of keys, or undefined when any step is missing. */
export function at(v: unknown, ...path: (string | number)[]): unknown {
    let cur = v;
    for (const key of path) {
        if (Array.isArray(cur) && typeof key === "number") cur = cur[key];
        else if (isRecord(cur) && typeof key === "string") cur = cur[key];
        else return undefined;
    }
    return cur;
}

export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asRecord = (v: unknown): Props => (isRecord(v) ? v : {});
export const stringMap = (v: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries(asRecord(v)).map(([k, x]) => [k, typeof x === "string" ? x : String(x)]));

export interface KubeObject {
    readonly group: string;
    readonly kind: string;
    /** A server-side-apply patch: fields it leaves out are not being set, so only what it sets can be judged. */
    readonly patch: boolean;
    readonly name: string;
    /** As written; undefined when the object does not say (Kubernetes then uses the client's default). */
    readonly namespace?: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly body: Props;
    /** How messages name the object: `Kind namespace/name`. */
    readonly ref: string;
    /** The resource's URN, when known (stack policies attach their violations to it). */
    readonly urn?: string;
}

const TOKEN = /^kubernetes:[^:]+:(\w+)$/;

/** The Kubernetes object a resource declares, or undefined when it is not one (components, Helm releases, other providers). */
export function kubeObject(type: string, props: Props, urn?: string): KubeObject | undefined {
    const m = TOKEN.exec(type);
    const { apiVersion, kind } = props;
    if (!m || typeof apiVersion !== "string" || typeof kind !== "string") return undefined;
    const slash = apiVersion.indexOf("/");
    const metadata = asRecord(props.metadata);
    const name = typeof metadata.name === "string" ? metadata.name : "(unnamed)";
    const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : undefined;
    return {
        group: slash < 0 ? "" : apiVersion.slice(0, slash),
        kind,
        patch: m[1] === `${kind}Patch`,
        name,
        namespace,
        labels: stringMap(metadata.labels),
        annotations: stringMap(metadata.annotations),
        body: props,
        ref: `${kind} ${namespace ? `${namespace}/` : ""}${name}`,
        urn,
    };
}

export const isKind = (o: KubeObject, group: string, kind: string): boolean => o.group === group && o.kind === kind;

/** The namespace an object lands in when it does not name one. */
export const DEFAULT_NAMESPACE = "default";
export const namespaceOf = (o: KubeObject): string => o.namespace ?? DEFAULT_NAMESPACE;

export interface PodTemplate {
    /** Field path of the template inside the object, for messages. */
    readonly path: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly spec: Props;
}

const TEMPLATE_PATHS: Record<string, string[]> = {
    Deployment: ["spec", "template"],
    StatefulSet: ["spec", "template"],
    DaemonSet: ["spec", "template"],
    ReplicaSet: ["spec", "template"],
    ReplicationController: ["spec", "template"],
    Job: ["spec", "template"],
    CronJob: ["spec", "jobTemplate", "spec", "template"],
    PodTemplate: ["template"],
};

/** The pod template of a workload (or the pod itself), if the object has one. */
export function podTemplate(o: KubeObject): PodTemplate | undefined {
    if (o.kind === "Pod" && o.group === "") return { path: "", labels: o.labels, annotations: o.annotations, spec: asRecord(o.body.spec) };
    const path = TEMPLATE_PATHS[o.kind];
    if (!path) return undefined;
    const t = at(o.body, ...path);
    if (!isRecord(t)) return undefined;
    return { path: path.join("."), labels: stringMap(at(t, "metadata", "labels")), annotations: stringMap(at(t, "metadata", "annotations")), spec: asRecord(t.spec) };
}

export interface Container {
    /** Field path, e.g. `spec.template.spec.containers[0]`. */
    readonly path: string;
    readonly body: Props;
}

/** Every container of a pod template: init, regular and ephemeral. */
export function containers(t: PodTemplate): Container[] {
    const prefix = t.path ? `${t.path}.spec` : "spec";
    return ["initContainers", "containers", "ephemeralContainers"].flatMap((field) =>
        asArray(t.spec[field]).flatMap((c, i) => (isRecord(c) ? [{ path: `${prefix}.${field}[${i}]`, body: c }] : [])),
    );
}
