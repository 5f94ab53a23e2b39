import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { SpinnakerServiceMode } from "../config/spinnakerConfig";
import type { ServiceName } from "../../lib/catalog/serviceCatalog";
import { halyardFiles } from "./halyard";
import { OperatorSpinnakerConfig, SPINNAKER_SERVICE_API_VERSION, SpinnakerFlavor, operatorSpinnakerConfig, spinnakerServiceManifest, withPodAnnotations } from "./operatorPatch";
import { SpinnakerSettings } from "./serviceSettings";

export interface SpinnakerPatchesArgs {
    readonly flavor: SpinnakerFlavor;
    /** metadata.name of the SpinnakerService. */
    readonly name: string;
    readonly namespace: string;
    readonly mode: SpinnakerServiceMode;
    /** create mode only. */
    readonly version?: string;
    readonly force: boolean;
    /** Every setting, from buildSpinnakerSettings(). */
    readonly settings: SpinnakerSettings;
    /**
     * Per service, pod annotations: digests of what the pod reads at start
     * (its TLS Secret, its JVM argfile, the JVM trust store), so that a new
     * certificate or keystore rolls exactly the pods that read it; and with
     * the otterize backend the operator's annotations that issue the pod's
     * credentials (secret, for Java: they carry the keystore password).
     */
    readonly podAnnotations: Readonly<Partial<Record<ServiceName, pulumi.Input<Record<string, pulumi.Input<string>>>>>>;
    /** Write the Halyard files here on `pulumi up` (not on preview). */
    readonly halyardDir?: string;
    /**
     * What must exist before the SpinnakerService changes (and the Operator rolls
     * the pods): the services' TLS material. A component's own dependsOn does
     * not reach its children, so this goes on the patch itself.
     */
    readonly after?: readonly pulumi.Resource[];
}

/**
 * The Spinnaker side of mTLS: the SpinnakerService patch (server-side apply,
 * field manager `spinnaker-mtls`, owning only the fields it sets) or, in
 * create mode, the SpinnakerService itself; and the same settings as Halyard
 * files. Both come from one settings model, so they cannot drift.
 */
export class SpinnakerPatches extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:spinnaker:SpinnakerPatches";

    /** spec.spinnakerConfig as sent: Secret references, no secret values, except the Otterize operator's JKS password annotation (then the whole output is secret). */
    readonly spinnakerConfig: pulumi.Output<OperatorSpinnakerConfig>;
    /** Halyard file path to content. */
    readonly halyardFiles: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: SpinnakerPatchesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SpinnakerPatches.TYPE, name, {}, opts);
        const services = Object.keys(args.podAnnotations).sort() as ServiceName[];
        const settings = pulumi
            .all(services.map((s) => pulumi.output(args.podAnnotations[s]!)))
            .apply((sums) => withPodAnnotations(args.settings, Object.fromEntries(services.map((s, i) => [s, sums[i]]))));

        const manifest = settings.apply((s) =>
            spinnakerServiceManifest({ flavor: args.flavor, name: args.name, namespace: args.namespace, force: args.force, settings: s, version: args.version }),
        );
        const resourceArgs = {
            // A plain string: it names the resource type (kubernetes:<apiVersion>:SpinnakerService[Patch]).
            apiVersion: SPINNAKER_SERVICE_API_VERSION[args.flavor],
            kind: "SpinnakerService",
            // Known before any certificate exists (it holds no checksum): the provider's
            // Patch resources refuse a preview whose metadata.name is not known yet.
            metadata: spinnakerServiceManifest({ flavor: args.flavor, name: args.name, namespace: args.namespace, force: args.force, settings: args.settings, version: args.version }).metadata,
            spec: manifest.apply((m) => m.spec),
        };
        const childOpts = { parent: this, dependsOn: [...(args.after ?? [])] };
        if (args.mode === "create") {
            new k8s.apiextensions.CustomResource(`${name}-spinnakerservice`, resourceArgs, childOpts);
        } else {
            new k8s.apiextensions.CustomResourcePatch(`${name}-spinnakerservice`, resourceArgs, childOpts);
        }

        this.spinnakerConfig = settings.apply(operatorSpinnakerConfig);
        this.halyardFiles = settings.apply((s) => halyardFiles(s, args.namespace));
        if (args.halyardDir) {
            const dir = args.halyardDir;
            this.halyardFiles.apply((files) => {
                // Side effect on purpose, and only when a real engine applies changes
                // (pulumi up, or its render mode): not on preview, and not under the
                // offline engine (verify, offline, the tests). The files hold no
                // secret (references and paths only).
                if (appliesChanges()) syncHalyardDir(dir, files);
            });
        }
        this.registerOutputs({ spinnakerConfig: this.spinnakerConfig, halyardFiles: this.halyardFiles });
    }
}

/** A real engine applying changes: an update, not a preview, and not the offline engine (whose monitor is a mock). */
function appliesChanges(): boolean {
    if (pulumi.runtime.isDryRun()) return false;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as typeof import("@pulumi/pulumi/runtime/mocks");
    return !(pulumi.runtime.getMonitor() instanceof MockMonitor);
}

/** The list of files the program wrote last time, kept in the folder so that files it no longer produces can go. */
export const HALYARD_MANIFEST = ".spinnaker-mtls-files";

/**
 * Writes the Halyard files into `dir` and removes those an earlier run wrote
 * that this one no longer produces (a service taken out of the stack). Only
 * files named in the folder's manifest are ever removed: the user's own files
 * stay.
 */
export function syncHalyardDir(dir: string, files: Readonly<Record<string, string>>): { written: string[]; removed: string[] } {
    const manifest = path.join(dir, HALYARD_MANIFEST);
    const before = fs.existsSync(manifest) ? fs.readFileSync(manifest, "utf8").split("\n").filter((l) => l && !l.startsWith("#")) : [];
    const written = Object.keys(files).sort();
    for (const rel of written) {
        const file = path.join(dir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, files[rel]);
    }
    const removed = before.filter((rel) => !written.includes(rel) && !rel.split("/").includes("..")).sort();
    for (const rel of removed) fs.rmSync(path.join(dir, rel), { force: true });
    fs.writeFileSync(manifest, ["# Files spinnaker-mtls wrote here; the next pulumi up removes those it no longer produces.", ...written].join("\n") + "\n");
    return { written, removed };
}
