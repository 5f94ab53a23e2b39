// The Spinnaker part of the stack config: which Operator's SpinnakerService
// to patch (or create), and where Halyard files go.
import { SERVICE_CATALOG, ServiceName } from "../pki/serviceCatalog";
import { ConfigReader, fq } from "./reader";

export type SpinnakerFlavor = "armory" | "oss";
export type SpinnakerServiceMode = "patch" | "create";

export const SPINNAKER_FLAVORS: readonly SpinnakerFlavor[] = ["armory", "oss"];
export const SPINNAKER_SERVICE_MODES: readonly SpinnakerServiceMode[] = ["patch", "create"];
/** Services only Armory's distribution ships. */
export const ARMORY_ONLY_SERVICES: readonly ServiceName[] = (Object.keys(SERVICE_CATALOG) as ServiceName[]).filter((s) => SERVICE_CATALOG[s].runtime === "go");

export interface SpinnakerConfig {
    readonly flavor: SpinnakerFlavor;
    /** metadata.name of the SpinnakerService. */
    readonly serviceName: string;
    /** patch: server-side apply onto an existing SpinnakerService. create: this stack creates and owns it. */
    readonly mode: SpinnakerServiceMode;
    /** create mode: spec.spinnakerConfig.config.version. */
    readonly version?: string;
    /** Take over fields another field manager set (pulumi.com/patchForce). */
    readonly patchForce: boolean;
    /** Where `pulumi up` writes the Halyard files; unset: not written. */
    readonly halyardDir?: string;
}

export function readSpinnakerConfig(r: ConfigReader, services: readonly ServiceName[] | undefined): SpinnakerConfig | undefined {
    const before = r.problems.length;
    const flavor = r.oneOf<SpinnakerFlavor>("spinnakerFlavor", SPINNAKER_FLAVORS);
    const serviceName = r.dnsLabel("spinnakerServiceName", "object");
    const mode = r.oneOf<SpinnakerServiceMode>("spinnakerServiceMode", SPINNAKER_SERVICE_MODES);
    const version = r.optional("spinnakerVersion");
    const patchForce = r.bool("patchForce");
    const halyardDir = r.optional("halyardDir");

    if (flavor === "oss") {
        const armoryOnly = (services ?? []).filter((s) => ARMORY_ONLY_SERVICES.includes(s));
        if (armoryOnly.length) {
            r.problem(`${fq("services")} enables ${armoryOnly.join(" and ")}, which only Armory's distribution ships, but ${fq("spinnakerFlavor")} is "oss"; set spinnakerFlavor to "armory" or remove them`);
        }
    }
    if (mode === "create" && version === undefined) {
        r.problem(`${fq("spinnakerVersion")} is not set; spinnakerServiceMode "create" creates the SpinnakerService and must name the Spinnaker version to deploy, e.g. "2.36.2" (Armory) or "1.36.1" (open source)`);
    }
    if (mode === "patch" && version !== undefined) {
        r.problem(`${fq("spinnakerVersion")} is set but ${fq("spinnakerServiceMode")} is "patch"; the version belongs to your existing SpinnakerService, set it there or use mode "create"`);
    }
    if (version !== undefined && !/^[0-9]+\.[0-9]+\.[0-9]+([-.][0-9A-Za-z.-]+)?$/.test(version)) {
        r.bad("spinnakerVersion", version, 'allowed: a release version such as "1.36.1"');
    }
    if (halyardDir !== undefined && (halyardDir.includes("\0") || /(^|\/)\.\.(\/|$)/.test(halyardDir))) {
        r.bad("halyardDir", halyardDir, 'allowed: a directory path without ".." segments');
    }

    if (r.problems.length > before) return undefined;
    return {
        flavor: flavor!,
        serviceName: serviceName!,
        mode: mode!,
        ...(version !== undefined ? { version } : {}),
        patchForce: patchForce!,
        ...(halyardDir !== undefined ? { halyardDir } : {}),
    };
}
