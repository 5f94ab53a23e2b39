import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { SpinnakerServiceMode } from "../config/spinnakerConfig";
import type { ServiceName } from "../pki/serviceCatalog";
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
     * Per service, pod annotations whose values are digests of what the pod
     * reads at start (its TLS Secret, its JVM argfile, the JVM trust store):
     * a new certificate or keystore rolls exactly the pods that read it.
     */
    readonly podChecksums: Readonly<Partial<Record<ServiceName, Readonly<Record<string, pulumi.Input<string>>>>>>;
    /** Write the Halyard files here on `pulumi up` (not on preview). */
    readonly halyardDir?: string;
}

/**
 * The Spinnaker side of mTLS: the SpinnakerService patch (server-side apply,
 * field manager `spinnaker-mtls`, owning only the fields it sets) or, in
 * create mode, the SpinnakerService itself; and the same settings as Halyard
 * files. Both come from one settings model, so they cannot drift.
 */
export class SpinnakerPatches extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:spinnaker:SpinnakerPatches";

    /** spec.spinnakerConfig as sent (Secret references only, no secret values). */
    readonly spinnakerConfig: pulumi.Output<OperatorSpinnakerConfig>;
    /** Halyard file path to content. */
    readonly halyardFiles: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: SpinnakerPatchesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SpinnakerPatches.TYPE, name, {}, opts);
        const services = Object.keys(args.podChecksums).sort() as ServiceName[];
        const settings = pulumi
            .all(services.map((s) => pulumi.all(args.podChecksums[s]!)))
            .apply((sums) => withPodAnnotations(args.settings, Object.fromEntries(services.map((s, i) => [s, sums[i]]))));

        const manifest = settings.apply((s) =>
            spinnakerServiceManifest({ flavor: args.flavor, name: args.name, namespace: args.namespace, force: args.force, settings: s, version: args.version }),
        );
        const resourceArgs = {
            // A plain string: it names the resource type (kubernetes:<apiVersion>:SpinnakerService[Patch]).
            apiVersion: SPINNAKER_SERVICE_API_VERSION[args.flavor],
            kind: "SpinnakerService",
            metadata: manifest.apply((m) => m.metadata),
            spec: manifest.apply((m) => m.spec),
        };
        if (args.mode === "create") {
            new k8s.apiextensions.CustomResource(`${name}-spinnakerservice`, resourceArgs, { parent: this });
        } else {
            new k8s.apiextensions.CustomResourcePatch(`${name}-spinnakerservice`, resourceArgs, { parent: this });
        }

        this.spinnakerConfig = settings.apply(operatorSpinnakerConfig);
        this.halyardFiles = settings.apply((s) => halyardFiles(s, args.namespace));
        if (args.halyardDir) {
            const dir = args.halyardDir;
            this.halyardFiles.apply((files) => {
                // Side effect on purpose, and only when changes are applied: the files
                // hold no secret (references and paths only).
                if (!pulumi.runtime.isDryRun()) writeFiles(dir, files);
            });
        }
        this.registerOutputs({ spinnakerConfig: this.spinnakerConfig, halyardFiles: this.halyardFiles });
    }
}

function writeFiles(dir: string, files: Record<string, string>): void {
    for (const [rel, content] of Object.entries(files)) {
        const file = path.join(dir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
    }
}
