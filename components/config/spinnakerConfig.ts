// The Spinnaker part of the stack config: which Operator's SpinnakerService
// to patch (or create), and where Halyard files go.
import { SERVICE_CATALOG, ServiceName, inClusterDnsNames, isServiceName } from "../../lib/catalog/serviceCatalog";
import { ConfigReader, fq, isDnsName } from "./reader";

export type SpinnakerFlavor = "armory" | "oss";
export type SpinnakerServiceMode = "patch" | "create";

export const SPINNAKER_FLAVORS: readonly SpinnakerFlavor[] = ["armory", "oss"];
export const SPINNAKER_SERVICE_MODES: readonly SpinnakerServiceMode[] = ["patch", "create"];
/** Services only Armory's distribution ships. */
export const ARMORY_ONLY_SERVICES: readonly ServiceName[] = (Object.keys(SERVICE_CATALOG) as ServiceName[]).filter((s) => SERVICE_CATALOG[s].runtime === "go");

/** Services Spinnaker can run as a high-availability split, and the names of the split services. */
export const HA_SPLITS = {
    clouddriver: ["clouddriver-caching", "clouddriver-ro", "clouddriver-ro-deck", "clouddriver-rw"],
    echo: ["echo-scheduler", "echo-worker"],
} as const;
export type HaService = keyof typeof HA_SPLITS;
export const HA_SERVICES = Object.keys(HA_SPLITS) as HaService[];

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
    /** The URLs browsers reach Gate and Deck at, without an ingress. */
    readonly gateUrl?: string;
    readonly deckUrl?: string;
    /** The user's own strategic-merge patches of each service's Service (spinnakerServicePatches). */
    readonly servicePatches?: Readonly<Partial<Record<ServiceName, readonly Record<string, unknown>[]>>>;
    /** The browser URLs the stack left unset that are the port-forward defaults (PORT_FORWARD_URLS), for a warning. */
    readonly portForwardUrls?: readonly ("gateUrl" | "deckUrl")[];
    /** Services run as Spinnaker's high-availability split. */
    readonly haServices: readonly HaService[];
}

/** An https URL with a DNS host, optional port and path; no query, fragment or credentials. */
function browserUrl(r: ConfigReader, key: string): string | undefined {
    const value = r.optional(key);
    if (value === undefined) return undefined;
    const m = /^https:\/\/([a-z0-9.-]+)(:[0-9]{1,5})?(\/[A-Za-z0-9._~/-]*)?$/.exec(value);
    if (!m || !isDnsName(m[1])) {
        r.bad(key, value, 'allowed: an https URL such as "https://spinnaker-api.example.com" (a DNS host, an optional port and path; no wildcard, query or credentials)');
        return undefined;
    }
    return value.replace(/\/$/, "");
}

/** The host of a URL that browserUrl accepted. */
export const urlHost = (url: string): string => new URL(url).hostname;

export function readSpinnakerConfig(r: ConfigReader, services: readonly ServiceName[] | undefined): SpinnakerConfig | undefined {
    const before = r.problems.length;
    const flavor = r.oneOf<SpinnakerFlavor>("spinnakerFlavor", SPINNAKER_FLAVORS);
    const serviceName = r.dnsLabel("spinnakerServiceName", "object");
    const mode = r.oneOf<SpinnakerServiceMode>("spinnakerServiceMode", SPINNAKER_SERVICE_MODES);
    const version = r.optional("spinnakerVersion");
    const patchForce = r.bool("patchForce");
    const halyardDir = r.optional("halyardDir");
    const gateUrl = browserUrl(r, "gateUrl");
    const deckUrl = browserUrl(r, "deckUrl");
    const servicePatches = readServicePatches(r, services);
    const haServices: HaService[] = [];
    for (const name of r.stringList("haServices") ?? []) {
        if (!(HA_SERVICES as string[]).includes(name)) {
            r.problem(`${fq("haServices")} names ${JSON.stringify(name)}; allowed: ${HA_SERVICES.join(", ")} (the services Spinnaker can split for high availability)`);
        } else if (services !== undefined && !services.includes(name as ServiceName)) {
            r.problem(`${fq("haServices")} names ${name}, which ${fq("services")} does not enable`);
        } else if (!haServices.includes(name as HaService)) {
            haServices.push(name as HaService);
        }
    }

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
        ...(gateUrl !== undefined ? { gateUrl } : {}),
        ...(deckUrl !== undefined ? { deckUrl } : {}),
        haServices: haServices.sort(),
        ...(servicePatches ? { servicePatches } : {}),
    };
}

/**
 * spinnakerServicePatches: the user's own strategic-merge patches of
 * Spinnaker's Services, per service. The Operator's CRD makes each
 * `spec.kustomize.<svc>.service.patchesStrategicMerge` list atomic, so when
 * the program writes one (the mesh's port protocols) server-side apply gives
 * it the whole list: the user's own patches must then come through here,
 * and the program writes them first, its own after.
 */
function readServicePatches(r: ConfigReader, services: readonly ServiceName[] | undefined): Partial<Record<ServiceName, Record<string, unknown>[]>> | undefined {
    const raw = r.optional("spinnakerServicePatches");
    if (raw === undefined) return undefined;
    const allowed = 'a JSON object of service name to a list of strategic-merge patches of its Service, e.g. \'{"gate":[{"metadata":{"annotations":{"team":"platform"}}}]}\'';
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        r.bad("spinnakerServicePatches", raw, `not JSON; allowed: ${allowed}`);
        return undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        r.bad("spinnakerServicePatches", raw, `allowed: ${allowed}`);
        return undefined;
    }
    const out: Partial<Record<ServiceName, Record<string, unknown>[]>> = {};
    for (const [name, patches] of Object.entries(parsed).sort(([a], [b]) => a.localeCompare(b))) {
        if (!isServiceName(name) || (services !== undefined && !services.includes(name))) {
            r.problem(`${fq("spinnakerServicePatches")} names ${JSON.stringify(name)}, which is not an enabled service; enabled: ${(services ?? []).join(", ")}`);
            continue;
        }
        if (!Array.isArray(patches) || patches.length === 0 || !patches.every((p) => typeof p === "object" && p !== null && !Array.isArray(p))) {
            r.problem(`${fq("spinnakerServicePatches")} gives ${name} ${JSON.stringify(patches)}; allowed: a non-empty list of patch objects`);
            continue;
        }
        out[name] = patches as Record<string, unknown>[];
    }
    return Object.keys(out).length ? out : undefined;
}

/**
 * The DNS names a service's certificate carries beyond its own in-cluster
 * names: the extra SANs from config, every name of its high-availability split
 * services (callers reach clouddriver-ro by its own name), the host of its
 * browser URL (Gate and Deck without an ingress), and for Gate without an
 * ingress the names of the Service in front of its client-certificate port
 * (`gateApiService`: callers reach that port as spin-gate-api).
 */
export function serviceExtraDnsNames(
    service: ServiceName,
    namespace: string,
    spinnaker: Pick<SpinnakerConfig, "haServices" | "gateUrl" | "deckUrl">,
    extraSans: readonly string[] = [],
    gateApiService = false,
): string[] {
    const names = [...extraSans];
    if (service === "gate" && gateApiService) names.push(...inClusterDnsNames("gate-api", namespace));
    if ((spinnaker.haServices as readonly string[]).includes(service)) names.push(...HA_SPLITS[service as HaService].flatMap((split) => inClusterDnsNames(split, namespace)));
    const browser = service === "gate" ? spinnaker.gateUrl : service === "deck" ? spinnaker.deckUrl : undefined;
    if (browser) names.push(urlHost(browser));
    return [...new Set(names)];
}
