import * as assert from "assert";
import { jvmRedisClients, planRedisClients } from "../../../components/redis/redisClients";
import { SERVICE_NAMES } from "../../../lib/catalog/serviceCatalog";
import { secretString } from "../../../components/spinnaker/settingsTree";

const url = "rediss://spin-redis.spinnaker.svc.cluster.local:6379";
const goUrl = "rediss://spin-redis-go.spinnaker.svc.cluster.local:6379";

describe("planRedisClients", () => {
    const all = planRedisClients({ services: SERVICE_NAMES, sqlServices: [], goServices: "tls-only", endpoint: { kind: "in-cluster", url }, goEndpointUrl: goUrl });

    it("gives every enabled service a plan", () => {
        assert.deepStrictEqual(Object.keys(all.services).sort(), [...SERVICE_NAMES].sort());
    });

    it("points each kork client's redis.connection and services.redis.baseUrl at the TLS endpoint", () => {
        assert.deepStrictEqual(all.services.orca, { client: "kork", profile: { redis: { connection: url }, services: { redis: { baseUrl: url } } } });
        assert.deepStrictEqual(jvmRedisClients(all), ["clouddriver", "echo", "fiat", "gate", "igor", "kayenta", "orca", "rosco"]);
    });

    it("tells Gate not to configure Redis (redis.configuration.secure)", () => {
        assert.deepStrictEqual(all.services.gate, { client: "kork", profile: { redis: { connection: url, configuration: { secure: true } }, services: { redis: { baseUrl: url } } } });
    });

    it("sends the Go services to their own TLS-only Redis", () => {
        assert.deepStrictEqual(all.services.dinghy, { client: "go-tls-only", profile: { redis: { baseUrl: goUrl } } });
        assert.deepStrictEqual(all.services.terraformer, { client: "go-tls-only", profile: { redis: { baseUrl: goUrl } } });
    });

    it("says why Deck, front50 and SQL-backed services get no Redis settings", () => {
        const sql = planRedisClients({ services: ["orca", "deck", "front50"], sqlServices: ["orca"], goServices: "none", endpoint: { kind: "in-cluster", url } });
        assert.deepStrictEqual(sql.services, {
            orca: { client: "none", reason: "orca runs on SQL (sqlServices): it gets no Redis settings and no JVM-wide keystore" },
            deck: { client: "none", reason: "Deck serves static files" },
            front50: { client: "none", reason: "front50 keeps its data in object storage or SQL" },
        });
        assert.deepStrictEqual(jvmRedisClients(sql), []);
    });

    it("keeps the Operator's own Redis off, with the in-cluster URL as the global base URL", () => {
        assert.deepStrictEqual(all.redisServiceSettings, { skipLifeCycleManagement: true, overrideBaseUrl: url });
    });

    it("refers to an external URL only through its Secret, and keeps it out of service-settings", () => {
        const ref = secretString("spinnaker-mtls-redis", "url");
        const ext = planRedisClients({ services: ["gate"], sqlServices: [], goServices: "none", endpoint: { kind: "external", url: ref } });
        assert.deepStrictEqual(ext.services.gate, { client: "kork", profile: { redis: { connection: ref, configuration: { secure: true } }, services: { redis: { baseUrl: ref } } } });
        assert.deepStrictEqual(ext.redisServiceSettings, { skipLifeCycleManagement: true });
    });

    it("treats a Go service without its Redis as a programming error (the config refuses it first)", () => {
        assert.throws(() => planRedisClients({ services: ["dinghy"], sqlServices: [], goServices: "none", endpoint: { kind: "in-cluster", url } }), /dinghy needs goServicesRedis "tls-only"/);
    });
});
