// The picture Istio's analyzers judge offline: a stack's rendered objects (the
// offline engine's run of the real program), plus what the cluster would hold
// beside them once the Spinnaker Operator, the controllers, Istio's injector
// and cert-manager have acted on them. (Offline istioctl reads only the
// non-runtime kinds of it; analyzefiles reads all: see ./istioctl.ts.) Every addition is derived from the
// program's own objects or from upstream's templates, never written out by hand:
//
// - the Services and Deployments the Spinnaker Operator creates per service
//   (Halyard's templates as the Operator transforms them, then the program's
//   kustomize patches applied as the Operator applies them);
// - the Pods the Deployment and StatefulSet controllers create from each pod
//   template, with the istio-proxy container the injector adds where injection
//   is on (istioctl checks workload selectors against Pods, not templates);
// - the TLS Secret cert-manager writes for each Certificate (a test CA's
//   certificate for the Certificate's DNS names: istioctl only checks that a
//   Gateway's credential exists where the gateway runs and holds a valid one).
//
// Istio's ingress gateway (Pod and Service istio-ingressgateway in
// istio-system, labelled istio: ingressgateway) is not added here: istioctl
// adds its own stand-in whenever it analyzes files only
// (pkg/config/analysis/local/defaults.go, AddDefaultResources).
//
// The program's own Secrets are left out: their keys need not be written to
// disk, and istioctl reads Secrets only as a Gateway's credential, which
// cert-manager writes in the gateway's namespace.
import { parse } from "yaml";
import { isServiceName } from "../../../lib/catalog/serviceCatalog";
import { unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { Issued, issue, newCa } from "../../support/pki";
import { KubeObject } from "./istioctl";

/** A Kubernetes resource of the run: the last segment of its type (`Gateway`, `NamespacePatch`) and its inputs. */
export interface Rendered {
    readonly kind: string;
    readonly inputs: KubeObject;
}

/** Every Kubernetes resource the run registered, inputs as sent (a deep copy, free to edit). */
export function renderedResources(result: RunResult): Rendered[] {
    return result.resources
        .filter((r) => r.type.startsWith("kubernetes:") && r.inputs)
        .map((r) => ({ kind: r.type.slice(r.type.lastIndexOf(":") + 1), inputs: structuredClone(unwrap(r.inputs)) as KubeObject }));
}

type Labels = Record<string, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

// ---------------------------------------------------------------------------
// The Spinnaker Operator
//
// armory/spinnaker-operator has Halyard generate each service's Deployment and
// Service, then transforms them (pkg/api/deploy/spindeploy/transformer):
// NamedPorts names a Service's single unnamed port "http" (name_ports.go), and
// Patches applies spec.kustomize.<svc>.{service,deployment} patches in the
// order patches, patchesJson6902, patchesStrategicMerge (patches.go).
// Halyard's templates (halyard-deploy/src/main/resources/kubernetes/manifests/
// service.yml, deployment.yml): name spin-<svc>, labels app: spin and cluster:
// spin-<svc> on the Service, the Deployment and its pods, the pod selector on
// both; one Service port, protocol TCP, port = targetPort = the service's port;
// the container named after the service with that containerPort; pod
// annotations and extra pod labels from service-settings.<svc>.kubernetes.
// ---------------------------------------------------------------------------

/**
 * The port Halyard gives each service's Service and container when
 * service-settings name none: each service class's default (spinnaker/halyard,
 * halyard-deploy/.../deploy/spinnaker/v1/service/<Name>Service.java, `Integer
 * port = …`); dinghy's and terraformer's are Armory's documented defaults
 * (their Halyard is not public). Written here from those sources, not taken
 * from the program's service catalog, so a wrong port there shows up as a
 * mismatch with the Services the Operator really makes.
 */
const HALYARD_DEFAULT_PORTS: Readonly<Record<string, number>> = {
    clouddriver: 7002,
    deck: 9000,
    echo: 8089,
    fiat: 7003,
    front50: 8080,
    gate: 8084,
    igor: 8088,
    kayenta: 8090,
    orca: 8083,
    rosco: 8087,
    dinghy: 8081,
    terraformer: 7088,
};

/** Strategic merge of a Service patch, as apimachinery's strategicpatch does for the fields Service has: maps merge, spec.ports merges by `port` (its patchMergeKey), other lists replace. */
function mergeServicePatch(target: Obj, patch: Obj, at: string[] = []): void {
    for (const [k, v] of Object.entries(patch)) {
        const here = [...at, k].join(".");
        if (v === null) delete target[k];
        else if (here === "spec.ports") {
            const ports = (target[k] ??= []) as Obj[];
            for (const p of v as Obj[]) {
                const same = ports.find((q) => q.port === p.port);
                if (same) Object.assign(same, p);
                else ports.push({ ...p });
            }
        } else if (typeof v === "object" && !Array.isArray(v) && typeof target[k] === "object" && target[k] !== null && !Array.isArray(target[k])) mergeServicePatch(target[k] as Obj, v as Obj, [...at, k]);
        else target[k] = structuredClone(v);
    }
}

interface Kustomization {
    patches?: unknown[];
    patchesJson6902?: string;
    patchesStrategicMerge?: (string | Obj)[];
}

function applyServiceKustomization(svc: string, service: KubeObject, k: Kustomization | undefined): void {
    if (!k) return;
    // The program writes only strategic merge patches; anything else would need the Operator's JSON patch code modelled too.
    if ((k.patches ?? []).length > 0 || k.patchesJson6902) throw new Error(`spec.kustomize.${svc}.service: only patchesStrategicMerge is modelled here`);
    for (const p of k.patchesStrategicMerge ?? []) mergeServicePatch(service, (typeof p === "string" ? parse(p) : p) as Obj);
}

/** The Services and Deployments the Spinnaker Operator creates for a SpinnakerService (or the patch of one), per service it deploys. */
export function operatorObjects(spinnakerService: KubeObject): KubeObject[] {
    const namespace = spinnakerService.metadata.namespace!;
    const spec = spinnakerService.spec as Obj;
    const settings = (spec.spinnakerConfig?.["service-settings"] ?? {}) as Record<string, Obj>;
    const kustomize = (spec.kustomize ?? {}) as Record<string, { service?: Kustomization; deployment?: Kustomization }>;
    const out: KubeObject[] = [];
    for (const [svc, s] of Object.entries(settings)) {
        // Halyard deploys nothing for a service whose lifecycle it is told to skip (the program's Redis).
        if (!isServiceName(svc) || s.skipLifeCycleManagement === true) continue;
        const port = Number(s.port ?? HALYARD_DEFAULT_PORTS[svc]);
        const name = `spin-${svc}`;
        const selector: Labels = { app: "spin", cluster: name };
        const service: KubeObject = {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name, namespace, labels: { ...selector } },
            spec: { selector: { ...selector }, type: "ClusterIP", ports: [{ name: "http", protocol: "TCP", port, targetPort: port }] },
        };
        applyServiceKustomization(svc, service, kustomize[svc]?.service);
        const k8s = (s.kubernetes ?? {}) as { podAnnotations?: Labels; podLabels?: Labels };
        const labels: Labels = { ...selector, "app.kubernetes.io/name": svc, "app.kubernetes.io/managed-by": "halyard", "app.kubernetes.io/part-of": "spinnaker" };
        if (kustomize[svc]?.deployment) throw new Error(`spec.kustomize.${svc}.deployment: Deployment patches are not modelled here`);
        const deployment: KubeObject = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace, labels },
            spec: {
                replicas: 1,
                selector: { matchLabels: { ...selector } },
                template: {
                    metadata: { annotations: { ...k8s.podAnnotations }, labels: { ...labels, ...k8s.podLabels } },
                    // The image is the release's; istioctl reads only the istio-proxy container's.
                    spec: { containers: [{ name: svc, image: `spinnaker/${svc}`, ports: [{ containerPort: port }], readinessProbe: { tcpSocket: { port } } }] },
                },
            },
        };
        out.push(service, deployment);
    }
    return out;
}

// ---------------------------------------------------------------------------
// Pods, as the controllers create them and Istio's injector mutates them
// ---------------------------------------------------------------------------

const INJECTION_LABEL = "istio-injection";
const SIDECAR_INJECT = "sidecar.istio.io/inject";

/** Whether Istio's injector adds a sidecar to a pod of this template in a namespace with these labels (label over annotation, as the injector and istioctl read them). */
function injected(namespaceLabels: Labels, template: Obj): boolean {
    if (namespaceLabels[INJECTION_LABEL] !== "enabled") return false;
    const labels = (template.metadata?.labels ?? {}) as Labels;
    const annotations = (template.metadata?.annotations ?? {}) as Labels;
    return (labels[SIDECAR_INJECT] ?? annotations[SIDECAR_INJECT] ?? "true").toLowerCase() !== "false";
}

/** The Pods of a Deployment or StatefulSet: the template's metadata and spec, named and labelled as the controller names them. */
export function podsOf(workload: KubeObject, namespaceLabels: Labels, proxyImage: string): KubeObject[] {
    const spec = workload.spec as Obj;
    const template = spec.template as Obj;
    const replicas = Number(spec.replicas ?? 1);
    const pods: KubeObject[] = [];
    for (let i = 0; i < replicas; i++) {
        // A StatefulSet's pods are <name>-<ordinal> and carry their name as a label (Services select spin-redis-0 by it).
        const name = workload.kind === "StatefulSet" ? `${workload.metadata.name}-${i}` : `${workload.metadata.name}-pod-${i}`;
        const extra: Labels = workload.kind === "StatefulSet" ? { "statefulset.kubernetes.io/pod-name": name } : {};
        const podSpec = structuredClone(template.spec) as Obj;
        if (injected(namespaceLabels, template)) podSpec.containers = [...(podSpec.containers as Obj[]), { name: "istio-proxy", image: proxyImage }];
        pods.push({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: workload.metadata.namespace, labels: { ...template.metadata?.labels, ...extra }, annotations: { ...template.metadata?.annotations } },
            spec: podSpec,
        });
    }
    return pods;
}

// ---------------------------------------------------------------------------
// cert-manager's Secrets
// ---------------------------------------------------------------------------

/** Issues, once per Certificate name and DNS names, the key pair cert-manager's stand-in writes. */
export class CertManagerStandIn {
    private readonly ca: Issued = newCa("istioctl-analyze test CA");
    private readonly issued = new Map<string, Issued>();

    /** The kubernetes.io/tls Secret cert-manager writes for a Certificate: spec.secretName in its namespace, tls.crt, tls.key, ca.crt. */
    secretFor(certificate: KubeObject): KubeObject {
        const spec = certificate.spec as { secretName: string; dnsNames?: string[]; commonName?: string };
        const dnsNames = spec.dnsNames ?? [spec.commonName ?? certificate.metadata.name];
        const key = `${certificate.metadata.namespace}/${certificate.metadata.name}|${dnsNames.join(",")}`;
        if (!this.issued.has(key)) this.issued.set(key, issue(this.ca, { commonName: dnsNames[0], dnsNames, allowedUses: ["digital_signature", "server_auth", "client_auth"], validityHours: 24 }));
        const cert = this.issued.get(key)!;
        const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
        return {
            apiVersion: "v1",
            kind: "Secret",
            type: "kubernetes.io/tls",
            metadata: { name: spec.secretName, namespace: certificate.metadata.namespace },
            data: { "tls.crt": b64(cert.certPem), "tls.key": b64(cert.keyPem), "ca.crt": b64(this.ca.certPem) },
        };
    }
}

// ---------------------------------------------------------------------------
// The whole picture
// ---------------------------------------------------------------------------

export type WorldPart = "operator" | "pods" | "cert-manager";

export interface WorldParts {
    readonly certManager: CertManagerStandIn;
    /** The proxy image the injector adds (istioctl only checks that a container named istio-proxy is there). */
    readonly proxyImage: string;
    /** Leaves a part out, to show what istioctl says without it. */
    readonly omit?: ReadonlySet<WorldPart>;
}

/**
 * What istioctl analyze is given: the rendered objects (patches turned into
 * the objects they leave behind: the namespace with the program's labels; the
 * SpinnakerService into the Operator's Services and Deployments), the Pods of
 * every workload and cert-manager's Secrets.
 */
export function meshWorld(rendered: readonly Rendered[], parts: WorldParts): KubeObject[] {
    const objects: KubeObject[] = [];
    const namespaceLabels = new Map<string, Labels>();
    for (const r of rendered) {
        const o = structuredClone(r.inputs);
        if (r.kind === "Secret") continue;
        if (r.kind === "NamespacePatch") {
            // The namespace is the Operator's (or the user's); the patch leaves its labels on it.
            namespaceLabels.set(o.metadata.name, { ...o.metadata.labels });
            objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: o.metadata.name, labels: { ...o.metadata.labels } } });
        } else if (r.kind === "SpinnakerServicePatch" || r.kind === "SpinnakerService") {
            if (!parts.omit?.has("operator")) objects.push(...operatorObjects(o));
        } else if (r.kind.endsWith("Patch")) {
            throw new Error(`${r.kind} ${o.metadata.name}: a patch of an object this picture does not hold`);
        } else {
            objects.push(o);
        }
    }
    for (const o of [...objects]) {
        const pods = !parts.omit?.has("pods") && (o.kind === "Deployment" || o.kind === "StatefulSet");
        if (pods) objects.push(...podsOf(o, namespaceLabels.get(o.metadata.namespace ?? "") ?? {}, parts.proxyImage));
        if (o.kind === "Certificate" && !parts.omit?.has("cert-manager")) objects.push(parts.certManager.secretFor(o));
    }
    return objects;
}
