// A JSON Schema of the SpinnakerService fields this program sets, written
// from what Spinnaker reads (kork's and Spring Boot's SSL properties, Armory's
// go-yaml-tools server/http settings, Halyard's ServiceSettings and
// KubernetesSettings, the Operators' k8s secret references). The Operator's
// own CRD leaves spinnakerConfig free-form, so this is the only thing that
// catches a misspelt key or a wrong type before the Operator does. Every
// object forbids unknown keys.
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { SERVICE_CATALOG, SERVICE_NAMES, ServiceName } from "../../lib/catalog/serviceCatalog";
import { SPINNAKER_SERVICE_API_VERSION } from "./operatorPatch";
import { HA_SPLITS } from "../config/spinnakerConfig";

const NAME = "[a-z0-9]([-a-z0-9.]*[a-z0-9])?";
const KEY = "[-._a-zA-Z0-9]+";
const k8sFile = { type: "string", pattern: `^encryptedFile:k8s!n:${NAME}!k:${KEY}$` };
const k8sString = { type: "string", pattern: `^encrypted:k8s!n:${NAME}!k:${KEY}$` };
const rediss = { type: "string", pattern: "^rediss://[^\\s/]+(/[0-9]+)?$" };
const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({ type: "object", additionalProperties: false, properties, required });
const stringMap = { type: "object", additionalProperties: { type: "string" } };

const javaStores = {
    "key-store": k8sFile,
    "key-store-type": { enum: ["PKCS12", "JKS"] },
    "key-store-password": k8sString,
    "trust-store": k8sFile,
    "trust-store-type": { enum: ["PKCS12", "JKS"] },
    "trust-store-password": k8sString,
};

const javaServer = obj({ ssl: obj({ enabled: { const: true }, ...javaStores, "client-auth": { enum: ["want", "need"] } }) });
/** Gate behind the Istio ingress: plain HTTP to its sidecar, under the routed path. */
const gateEdgeServer = obj({ ssl: obj({ enabled: { const: false } }), servlet: obj({ "context-path": { const: "/api/v1" } }) });

const javaProfile = (service: ServiceName) => obj(
    {
        // Gate's edge form is the one with ssl.enabled false; anything else must be the full form.
        server:
            service === "gate"
                ? {
                      type: "object",
                      if: { type: "object", properties: { ssl: { type: "object", properties: { enabled: { const: false } }, required: ["enabled"] } }, required: ["ssl"] },
                      then: gateEdgeServer,
                      else: javaServer,
                  }
                : javaServer,
        "ok-http-client": obj(javaStores),
        redis: obj({ connection: { anyOf: [rediss, k8sString] }, configuration: obj({ secure: { const: true } }) }, ["connection"]),
        services: obj({ redis: obj({ baseUrl: { anyOf: [rediss, k8sString] } }) }),
        "spinnaker-mtls": obj({ mounts: obj({ "jvm-options": k8sFile, "jvm-truststore": k8sFile }, ["jvm-options"]) }),
        // Gate's client-certificate listener beside its browser-facing port (TomcatConfigurationProperties.apiPort).
        ...(service === "gate" ? { default: obj({ apiPort: { type: "integer", minimum: 1, maximum: 65535 } }) } : {}),
    },
    ["server", "ok-http-client", "spinnaker-mtls"],
);

const goProfile = obj(
    {
        server: obj({ ssl: obj({ enabled: { const: true }, certFile: k8sFile, keyFile: k8sFile, cacertFile: k8sFile, clientAuth: { enum: ["want", "need"] } }) }),
        http: obj({ cacertFile: k8sFile, clientCertFile: k8sFile, clientKeyFile: k8sFile }),
        redis: obj({ baseUrl: rediss }),
    },
    ["server", "http"],
);

function serviceSettings(service: ServiceName, name: string = service) {
    const { port } = SERVICE_CATALOG[service];
    // Only Deck and Gate may be reached in plain HTTP (by their sidecar, behind the Istio ingress).
    const scheme = service === "deck" || service === "gate" ? "https?" : "https";
    return obj(
        {
            baseUrl: { type: "string", pattern: `^${scheme}://spin-${name}\\.${NAME}:${port}$` },
            kubernetes: obj(
                {
                    useTcpProbe: { const: true },
                    podAnnotations: stringMap,
                    podLabels: stringMap,
                    volumes: { type: "array", items: obj({ id: { type: "string", pattern: `^${NAME}$` }, type: { const: "secret" }, mountPath: { type: "string", pattern: "^/" } }) },
                },
                ["useTcpProbe"],
            ),
            env: stringMap,
        },
        // Gate and Deck carry no baseUrl without the ingress (their browser URLs are halconfig overrides).
        service === "deck" || service === "gate" ? ["kubernetes"] : ["baseUrl", "kubernetes"],
    );
}

const patches = obj({ patchesStrategicMerge: { type: "array", items: { type: "string" } } });

const profiles = obj(
    Object.fromEntries(SERVICE_NAMES.filter((s) => SERVICE_CATALOG[s].runtime !== "deck").map((s) => [s, SERVICE_CATALOG[s].runtime === "java" ? javaProfile(s) : goProfile])),
    [],
);
const settings = obj(
    {
        ...Object.fromEntries(SERVICE_NAMES.map((s) => [s, serviceSettings(s)])),
        ...Object.fromEntries((Object.entries(HA_SPLITS) as [ServiceName, readonly string[]][]).flatMap(([base, splits]) => splits.map((split) => [split, serviceSettings(base, split)]))),
        redis: obj({ skipLifeCycleManagement: { const: true }, overrideBaseUrl: rediss }, ["skipLifeCycleManagement"]),
    },
    ["redis"],
);

export const SPINNAKER_SERVICE_SCHEMA = obj(
    {
        apiVersion: { enum: Object.values(SPINNAKER_SERVICE_API_VERSION) },
        kind: { const: "SpinnakerService" },
        metadata: obj({ name: { type: "string", pattern: `^${NAME}$` }, namespace: { type: "string", pattern: `^${NAME}$` }, annotations: stringMap }, ["name", "namespace"]),
        spec: obj(
            {
                spinnakerConfig: obj(
                    {
                        config: obj(
                            {
                                version: { type: "string" },
                                security: obj({ uiSecurity: obj({ overrideBaseUrl: { type: "string", pattern: "^https://" } }), apiSecurity: obj({ overrideBaseUrl: { type: "string", pattern: "^https://" } }) }, []),
                                deploymentEnvironment: obj({ haServices: obj(Object.fromEntries(Object.keys(HA_SPLITS).map((s) => [s, obj({ enabled: { type: "boolean" } })])), []) }),
                            },
                            [],
                        ),
                        profiles,
                        "service-settings": settings,
                    },
                    ["profiles", "service-settings"],
                ),
                kustomize: obj(
                    Object.fromEntries(SERVICE_NAMES.map((s) => [s, obj({ service: patches, deployment: patches }, [])])),
                    [],
                ),
            },
            ["spinnakerConfig"],
        ),
    },
    ["apiVersion", "kind", "metadata", "spec"],
);

let validator: ValidateFunction | undefined;

/** Problems with a SpinnakerService (or patch) against the schema, as "path: message"; empty when it conforms. */
export function spinnakerServiceProblems(manifest: unknown): string[] {
    validator ??= new Ajv({ allErrors: true, strict: true }).compile(SPINNAKER_SERVICE_SCHEMA);
    if (validator(manifest)) return [];
    // An "if" error only says the then/else branch failed; that branch's own errors say why.
    return (validator.errors ?? []).filter((e) => e.keyword !== "if").map((e: ErrorObject) => `${e.instancePath || "/"}: ${e.message}${e.params && "additionalProperty" in e.params ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ""}`);
}
