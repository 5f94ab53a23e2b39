// How each enabled Spinnaker service reaches Redis, as data: the profile
// settings the Spinnaker patch renders (for the Operator and for Halyard),
// and what each service's runtime needs. Nothing here is a second copy of
// Spinnaker config; SpinnakerPatches merges these trees into its own.
import type { GoServicesRedis } from "../config/redisConfig";
import { SERVICE_CATALOG, ServiceName } from "../../lib/catalog/serviceCatalog";
import { SecretRef, SettingsTree } from "../spinnaker/settingsTree";

export type RedisEndpoint =
    /** This program's StatefulSet: the URL is public. */
    | { readonly kind: "in-cluster"; readonly url: string }
    /** A managed Redis: the URL may carry a password, so it is only ever a Secret reference. */
    | { readonly kind: "external"; readonly url: SecretRef };

export type ServiceRedisPlan =
    /**
     * kork's Jedis client. It takes TLS from the URL scheme and its client
     * certificate from the JVM's default SSL context (javax.net.ssl.*), the
     * only place kork reads one from; see JvmOptions.
     */
    | { readonly client: "kork"; readonly profile: SettingsTree }
    /** dinghy, terraformer: TLS without a client certificate, to their own Redis. */
    | { readonly client: "go-tls-only"; readonly profile: SettingsTree }
    | { readonly client: "none"; readonly reason: string };

export interface RedisPlan {
    readonly services: Readonly<Partial<Record<ServiceName, ServiceRedisPlan>>>;
    /** `service-settings.redis`: stop the Operator or Halyard deploying a Redis of its own. */
    readonly redisServiceSettings: SettingsTree;
}

export interface RedisPlanInput {
    readonly services: readonly ServiceName[];
    readonly sqlServices: readonly ServiceName[];
    readonly goServices: GoServicesRedis;
    readonly endpoint: RedisEndpoint;
    /** The Go services' TLS-only Redis (goServicesRedis tls-only). */
    readonly goEndpointUrl?: string;
}

export const redisUrl = (host: string, port: number): string => `rediss://${host}:${port}`;

export function planRedisClients(input: RedisPlanInput): RedisPlan {
    const services: Partial<Record<ServiceName, ServiceRedisPlan>> = {};
    const url = input.endpoint.url;
    for (const name of input.services) {
        const use = SERVICE_CATALOG[name].redis;
        if (use === "none") {
            services[name] = { client: "none", reason: name === "deck" ? "Deck serves static files" : "front50 keeps its data in object storage or SQL" };
        } else if (use === "go") {
            if (input.goServices !== "tls-only" || !input.goEndpointUrl) {
                // The stack config refuses this combination; reaching here is a bug.
                throw new Error(`${name} needs goServicesRedis "tls-only"`);
            }
            // Armory's Go services read redis.baseUrl.
            services[name] = { client: "go-tls-only", profile: { redis: { baseUrl: input.goEndpointUrl } } };
        } else if (input.sqlServices.includes(name)) {
            services[name] = { client: "none", reason: `${name} runs on SQL (sqlServices): it gets no Redis settings and no JVM-wide keystore` };
        } else {
            // redis.connection is what kork binds (RedisClientConfiguration's
            // `connection`); services.redis.baseUrl is what the stock service
            // profiles substitute into it, so both say the same.
            const profile: Record<string, unknown> = { redis: { connection: url }, services: { redis: { baseUrl: url } } };
            if (name === "gate") {
                // Gate must not send CONFIG to Redis; redis.conf sets the keyspace events instead.
                profile.redis = { connection: url, configuration: { secure: true } };
            }
            services[name] = { client: "kork", profile: profile as SettingsTree };
        }
    }
    const redisServiceSettings: SettingsTree =
        input.endpoint.kind === "in-cluster"
            ? { skipLifeCycleManagement: true, overrideBaseUrl: input.endpoint.url }
            : // An external URL may hold a password, and service-settings take no secret references.
              { skipLifeCycleManagement: true };
    return { services, redisServiceSettings };
}

/** Java services whose JVM-wide key store presents their certificate to Redis. */
export const jvmRedisClients = (plan: RedisPlan): ServiceName[] =>
    (Object.keys(plan.services) as ServiceName[]).filter((s) => plan.services[s]?.client === "kork").sort();
