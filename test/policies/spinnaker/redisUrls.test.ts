import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { NS, clone, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-redis-tls";
const SPIN = `SpinnakerService ${NS}/spinnaker`;
const FIX = "Fix: use rediss://<host>:6379 (the program's in-cluster Redis speaks only TLS)";

describe("policy spinnaker-redis-tls", () => {
    it("accepts rediss:// URLs and secret references to a URL", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f).profiles.orca.redis = { connection: "encrypted:k8s!n:spinnaker-redis-url!k:url" };
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
    });

    it("refuses redis:// wherever it is written, without printing a password in the URL", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f).profiles.gate.redis = { connection: "redis://:hunter2@spin-redis:6379" };
        spinnakerConfig(f).profiles.echo.services = { redis: { baseUrl: "redis://spin-redis:6379" } };
        spinnakerConfig(f)["service-settings"].front50.env = { REDIS_URL: "redis://spin-redis:6379" };
        const found = await messages(POLICY, [f]);
        assert.deepStrictEqual(found, [
            `${SPIN}: spec.spinnakerConfig.profiles.echo.services.redis.baseUrl: is 'redis://spin-redis:6379', not a rediss:// URL. ${FIX}`,
            `${SPIN}: spec.spinnakerConfig.profiles.gate.redis.connection: is 'redis://***@spin-redis:6379', not a rediss:// URL. ${FIX}`,
            `${SPIN}: spec.spinnakerConfig.service-settings.front50.env.REDIS_URL: is 'redis://spin-redis:6379', not a rediss:// URL. ${FIX}`,
        ]);
        assert.ok(!found.join("").includes("hunter2"));
    });

    it("refuses an endpoint setting with no scheme (a plaintext host:port)", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f).profiles.orca.redis = { connection: "spin-redis:6379" };
        assert.deepStrictEqual(await messages(POLICY, [f]), [`${SPIN}: spec.spinnakerConfig.profiles.orca.redis.connection: is 'spin-redis:6379', not a rediss:// URL. ${FIX}`]);
    });
});
