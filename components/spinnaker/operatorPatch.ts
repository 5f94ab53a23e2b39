// The SpinnakerService the Operator reads, as a rendering of the settings
// trees: Secret references become `encryptedFile:k8s!n:<secret>!k:<key>`
// (the Operator mounts the file) or `encrypted:k8s!n:<secret>!k:<key>` (it
// passes the value as an environment variable). No secret value is written.
import * as YAML from "yaml";
import type { ServiceName } from "../../lib/catalog/serviceCatalog";
import { secretMountDir } from "./mounts";
import { ServiceConfig, SpinnakerSettings } from "./serviceSettings";
import { SecretRef, SettingsTree, mapSecretRefs, mergeTrees } from "./settingsTree";

export type SpinnakerFlavor = "armory" | "oss";

/** The CRD group each Operator serves: Armory's and the open-source one. */
export const SPINNAKER_SERVICE_API_VERSION: Readonly<Record<SpinnakerFlavor, string>> = {
    armory: "spinnaker.armory.io/v1alpha2",
    oss: "spinnaker.io/v1alpha2",
};

/** The field manager of every field this program sets through server-side apply. */
export const FIELD_MANAGER = "spinnaker-mtls";

export const k8sSecretReference = (ref: SecretRef): string => `${ref.as === "file" ? "encryptedFile" : "encrypted"}:k8s!n:${ref.secret}!k:${ref.key}`;

/** Halyard's volume entry (KubernetesSettings.volumes), mounted where the Operator mounts referenced files. */
export const secretVolume = (service: string, secret: string) => ({ id: secret, type: "secret", mountPath: secretMountDir(service, secret) });

/** Adds the pod annotations (checksums) to each service's service-settings. */
export function withPodAnnotations(settings: SpinnakerSettings, annotations: Readonly<Partial<Record<ServiceName, Record<string, string>>>>): SpinnakerSettings {
    const services: Partial<Record<ServiceName, ServiceConfig>> = {};
    for (const [name, cfg] of Object.entries(settings.services) as [ServiceName, ServiceConfig][]) {
        const a = annotations[name];
        services[name] = a && Object.keys(a).length ? { ...cfg, serviceSettings: mergeTrees(cfg.serviceSettings, { kubernetes: { podAnnotations: a } }) } : cfg;
    }
    // A split service's pods read what the service they split reads, so they roll with the same checksums.
    const splitServices = Object.fromEntries(
        Object.entries(settings.splitServices).map(([split, sp]) => {
            const a = annotations[sp.of];
            return [split, a && Object.keys(a).length ? { ...sp, serviceSettings: mergeTrees(sp.serviceSettings, { kubernetes: { podAnnotations: a } }) } : sp];
        }),
    );
    return { ...settings, services, splitServices };
}

export interface OperatorSpinnakerConfig {
    readonly profiles: Readonly<Record<string, SettingsTree>>;
    readonly "service-settings": Readonly<Record<string, SettingsTree>>;
}

export function operatorSpinnakerConfig(settings: SpinnakerSettings): OperatorSpinnakerConfig {
    const profiles: Record<string, SettingsTree> = {};
    const serviceSettings: Record<string, SettingsTree> = {};
    for (const name of Object.keys(settings.services).sort() as ServiceName[]) {
        const cfg = settings.services[name]!;
        if (Object.keys(cfg.profile).length) profiles[name] = mapSecretRefs(cfg.profile, k8sSecretReference);
        serviceSettings[name] = cfg.volumes.length
            ? mergeTrees(cfg.serviceSettings, { kubernetes: { volumes: cfg.volumes.map((s) => secretVolume(name, s)) } })
            : cfg.serviceSettings;
    }
    for (const split of Object.keys(settings.splitServices).sort()) serviceSettings[split] = settings.splitServices[split].serviceSettings;
    serviceSettings.redis = settings.redisServiceSettings;
    return { profiles, "service-settings": serviceSettings };
}

export interface SpinnakerServiceManifestArgs {
    readonly flavor: SpinnakerFlavor;
    readonly name: string;
    readonly namespace: string;
    /** Take over fields another manager set (pulumi.com/patchForce). */
    readonly force: boolean;
    readonly settings: SpinnakerSettings;
    /** create mode: the Spinnaker version the Operator deploys. */
    readonly version?: string;
}

/** spec.kustomize: per service, the strategic-merge patches the Operator applies to its Service and Deployment. */
export function operatorKustomize(settings: SpinnakerSettings): Record<string, Record<string, { patchesStrategicMerge: string[] }>> {
    const out: Record<string, Record<string, { patchesStrategicMerge: string[] }>> = {};
    for (const name of Object.keys(settings.services).sort() as ServiceName[]) {
        const k = settings.services[name]!.kustomize;
        if (!k) continue;
        out[name] = {};
        for (const target of ["service", "deployment"] as const) {
            const patches = k[target];
            if (patches?.length) out[name][target] = { patchesStrategicMerge: patches.map((patch) => YAML.stringify(patch, { sortMapEntries: true })) };
        }
    }
    return out;
}

/** The SpinnakerService (or patch of one) as Kubernetes receives it. */
export function spinnakerServiceManifest(a: SpinnakerServiceManifestArgs) {
    const spinnakerConfig = operatorSpinnakerConfig(a.settings);
    const config = a.version || a.settings.config ? { ...(a.version ? { version: a.version } : {}), ...(a.settings.config ?? {}) } : undefined;
    const kustomize = operatorKustomize(a.settings);
    return {
        apiVersion: SPINNAKER_SERVICE_API_VERSION[a.flavor],
        kind: "SpinnakerService",
        metadata: {
            name: a.name,
            namespace: a.namespace,
            annotations: {
                "pulumi.com/patchFieldManager": FIELD_MANAGER,
                ...(a.force ? { "pulumi.com/patchForce": "true" } : {}),
            },
        },
        spec: {
            spinnakerConfig: config ? { config, ...spinnakerConfig } : spinnakerConfig,
            ...(Object.keys(kustomize).length ? { kustomize } : {}),
        },
    };
}
