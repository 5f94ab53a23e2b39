// The Redis part of the stack config: in-cluster TLS Redis or an external
// managed one, and how each kind of Spinnaker service reaches it.
import { SERVICE_CATALOG, ServiceName } from "../../lib/catalog/serviceCatalog";
import { checkCaBundle } from "./pkiConfig";
import { ConfigReader, DEFERRED_SECRET, fq, quantityValue } from "./reader";

export type RedisMode = "in-cluster" | "external";
export type GoServicesRedis = "none" | "tls-only";

export const REDIS_MODES: readonly RedisMode[] = ["in-cluster", "external"];
/** `client-auth` is named so that asking for it gets an explanation rather than "unknown value". */
export const GO_SERVICES_REDIS_VALUES = ["none", "tls-only", "client-auth"] as const;

/**
 * Java services that can keep all their state in SQL instead of Redis
 * (Spinnaker's SQL backends). Listed in `sqlServices`, they get no Redis
 * settings and, above all, no JVM-wide keystore, which their SQL driver
 * would also present.
 */
export const SQL_CAPABLE_SERVICES: readonly ServiceName[] = ["clouddriver", "fiat", "front50", "orca"];

export const MAX_REDIS_REPLICAS = 5;

export interface RedisResources {
    readonly cpuRequest: string;
    readonly memoryRequest: string;
    readonly cpuLimit: string;
    readonly memoryLimit: string;
}

export interface RedisConfig {
    readonly mode: RedisMode;
    readonly image: string;
    /** Read replicas besides the primary (in-cluster only). */
    readonly replicas: number;
    readonly storageSize: string;
    /** Unset: the cluster's default storage class. */
    readonly storageClass?: string;
    readonly resources: RedisResources;
    /** external mode: the rediss:// URL, plaintext only in memory (a Pulumi secret from here on). */
    readonly externalUrl?: string;
    /** external mode: CA certificates that sign the external Redis's certificate, when not a public CA. */
    readonly externalCaCertPem?: string;
    readonly sqlServices: readonly ServiceName[];
    readonly goServices: GoServicesRedis;
}

/**
 * The first Redis whose TLS files the tls-reload sidecar can reload in place:
 * it sends one `CONFIG SET tls-cert-file … tls-key-file … tls-ca-cert-file …`
 * with the same paths (redisCommands.ts). CONFIG SET takes several pairs from
 * 7.0.0 (6.2's configSetCommand reads one), and 7.0.0 skips a TLS setting
 * whose value did not change; 7.0.1 applies it anyway (redis commit b16d1c271,
 * "Fix possible regression around TLS config changes", VOLATILE_CONFIG).
 */
export const REDIS_FLOOR = "7.0.1";

/** A version tag below REDIS_FLOOR: 6.x, or exactly 7.0.0 (a floating "7" or "7.0" tag is a later patch release). */
function belowReloadFloor(tag: string): boolean {
    const m = /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:$|[^0-9.])/.exec(tag);
    if (!m) return false;
    const [major, minor, patch] = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2]), m[3] === undefined ? undefined : Number(m[3])];
    if (major !== 7) return major < 7;
    return minor === 0 && patch === 0;
}

/** image[:tag][@digest], with a tag or a digest: an implicit `latest` is not reproducible. */
// A registry's port only before a path ("registry:5000/redis"); "redis:7" is a tag.
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+(?=\/))?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

export function readRedisConfig(r: ConfigReader, services: readonly ServiceName[] | undefined): RedisConfig | undefined {
    const before = r.problems.length;
    const mode = r.oneOf<RedisMode>("redisMode", REDIS_MODES);

    const image = r.get("redisImage");
    if (image !== undefined) {
        const ref = IMAGE_REF.exec(image);
        const tag = ref?.[5]?.slice(1);
        if (!ref || (tag === undefined && ref[6] === undefined)) {
            r.bad("redisImage", image, "allowed: an image reference with a tag or a digest, e.g. redis:7.2.7");
        } else if (tag !== undefined && /^[0-9]+\./.test(tag) && Number(tag.split(".")[0]) < 6) {
            r.bad("redisImage", image, `Redis before 6 has no TLS; allowed: Redis ${REDIS_FLOOR} or later, e.g. redis:7.2.7`);
        } else if (tag !== undefined && belowReloadFloor(tag)) {
            r.bad(
                "redisImage",
                image,
                `its tls-reload sidecar cannot reload a renewed certificate there (one CONFIG SET of several TLS files needs Redis 7.0.0, and reloading files whose names did not change needs ${REDIS_FLOOR}); allowed: Redis ${REDIS_FLOOR} or later, e.g. redis:7.2.7`,
            );
        }
    }

    const replicas = r.int("redisReplicas", 0, MAX_REDIS_REPLICAS, "replicas");
    const storageSize = r.quantity("redisStorageSize", "storage");
    const storageClass = r.optional("redisStorageClass");
    if (storageClass !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(storageClass)) {
        r.bad("redisStorageClass", storageClass, "allowed: a StorageClass name, or empty for the cluster's default");
    }
    const cpuRequest = r.quantity("redisCpuRequest", "cpu");
    const memoryRequest = r.quantity("redisMemoryRequest", "memory");
    const cpuLimit = r.quantity("redisCpuLimit", "cpu");
    const memoryLimit = r.quantity("redisMemoryLimit", "memory");
    const notAbove = (requestKey: string, request: string | undefined, limitKey: string, limit: string | undefined) => {
        if (request !== undefined && limit !== undefined && quantityValue(request)! > quantityValue(limit)!) {
            r.problem(`${fq(requestKey)} is ${JSON.stringify(request)}, more than ${fq(limitKey)} ${JSON.stringify(limit)}; a request cannot exceed its limit`);
        }
    };
    notAbove("redisCpuRequest", cpuRequest, "redisCpuLimit", cpuLimit);
    notAbove("redisMemoryRequest", memoryRequest, "redisMemoryLimit", memoryLimit);

    const externalUrl = r.optional("redisExternalUrl");
    const externalCaCertPem = r.optional("redisExternalCaCertPem");
    if (mode === "external") {
        if (externalUrl === undefined) {
            r.problem(`${fq("redisExternalUrl")} is not set; redisMode "external" needs the rediss:// URL of your Redis (set it with pulumi config set --secret)`);
        } else if (externalUrl !== DEFERRED_SECRET) {
            // A URL that is still a Pulumi Output is checked when it resolves (externalUrlProblems).
            externalUrlProblems(externalUrl).forEach((p) => r.problem(p));
        }
        if (externalCaCertPem !== undefined) checkCaBundle("redisExternalCaCertPem", externalCaCertPem, r);
    } else if (mode === "in-cluster") {
        if (externalUrl !== undefined) r.problem(`${fq("redisExternalUrl")} is set but ${fq("redisMode")} is "in-cluster"; set redisMode to "external" or unset redisExternalUrl`);
        if (externalCaCertPem !== undefined) r.problem(`${fq("redisExternalCaCertPem")} is set but ${fq("redisMode")} is "in-cluster"; it only applies to an external Redis`);
    }

    const sqlServices: ServiceName[] = [];
    for (const name of r.stringList("sqlServices") ?? []) {
        if (!(SQL_CAPABLE_SERVICES as readonly string[]).includes(name)) {
            r.problem(`${fq("sqlServices")} names ${JSON.stringify(name)}, which has no SQL backend; allowed: ${SQL_CAPABLE_SERVICES.join(", ")}`);
        } else if (services !== undefined && !services.includes(name as ServiceName)) {
            r.problem(`${fq("sqlServices")} names ${JSON.stringify(name)}, which is not an enabled service; enabled: ${services.join(", ")}`);
        } else if (sqlServices.includes(name as ServiceName)) {
            r.problem(`${fq("sqlServices")} names ${JSON.stringify(name)} twice`);
        } else {
            sqlServices.push(name as ServiceName);
        }
    }

    const goServicesRaw = r.oneOf("goServicesRedis", GO_SERVICES_REDIS_VALUES);
    const goEnabled = (services ?? []).filter((s) => SERVICE_CATALOG[s].runtime === "go");
    if (goServicesRaw === "client-auth") {
        r.problem(
            `${fq("goServicesRedis")} is "client-auth", which Spinnaker cannot do: Armory's Go services (dinghy, terraformer) connect to Redis over TLS ` +
                'but cannot present a client certificate; allowed: "tls-only" (a separate TLS-only Redis that only they can reach) or "none"',
        );
    } else if (goServicesRaw === "none" && goEnabled.length > 0) {
        r.problem(
            `${fq("services")} enables ${goEnabled.join(" and ")}, which cannot present a client certificate to Redis, and ${fq("goServicesRedis")} is "none"; ` +
                'set goServicesRedis to "tls-only" to give them a separate TLS-only Redis that only they can reach, or remove them from services',
        );
    }

    if (r.problems.length > before) return undefined;
    return {
        mode: mode!,
        image: image!,
        replicas: replicas!,
        storageSize: storageSize!,
        ...(storageClass !== undefined ? { storageClass } : {}),
        resources: { cpuRequest: cpuRequest!, memoryRequest: memoryRequest!, cpuLimit: cpuLimit!, memoryLimit: memoryLimit! },
        ...(externalUrl !== undefined ? { externalUrl } : {}),
        ...(externalCaCertPem !== undefined ? { externalCaCertPem } : {}),
        sqlServices,
        goServices: goServicesRaw as GoServicesRedis,
    };
}

/** rediss:// only: the whole point is that nothing reaches Redis in plaintext. The value is secret, so messages describe it without quoting it. */
export function externalUrlProblems(url: string): string[] {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return [`${fq("redisExternalUrl")} is (secret value hidden) and is not a URL; allowed: rediss://[:password@]host[:port][/db]`];
    }
    if (parsed.protocol !== "rediss:") {
        return [`${fq("redisExternalUrl")} (secret value hidden) uses the scheme ${JSON.stringify(parsed.protocol.replace(/:$/, ""))}; allowed: rediss:// only, plaintext redis:// is refused`];
    }
    const problems: string[] = [];
    if (!parsed.hostname) problems.push(`${fq("redisExternalUrl")} (secret value hidden) has no host; allowed: rediss://[:password@]host[:port][/db]`);
    if (parsed.pathname && parsed.pathname !== "/" && !/^\/[0-9]+$/.test(parsed.pathname)) {
        problems.push(`${fq("redisExternalUrl")} (secret value hidden) has a path that is not a database number; allowed: rediss://[:password@]host[:port][/db]`);
    }
    return problems;
}
