import * as assert from "assert";
import { PolicyConfig } from "../../engine/policyHost";
import { POLICIES } from "../../policies/policies";
import { POLICY_PROPERTY_ORDER, keyStrengthBits, policyWeakenings } from "../../tools/strictness";

const cfg = (c: Record<string, PolicyConfig>) => c;

describe("strictness knobs", () => {
    it("key strength follows NIST SP 800-57: P-384 > P-256 = RSA 3072 = RSA 4096 > RSA 2048", () => {
        assert.deepStrictEqual(
            [{ algorithm: "ECDSA", ecdsaCurve: "P384" }, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { algorithm: "RSA", rsaBits: 3072 }, { algorithm: "RSA", rsaBits: 4096 }, { algorithm: "RSA", rsaBits: 2048 }].map((k) =>
                keyStrengthBits(k as Parameters<typeof keyStrengthBits>[0]),
            ),
            [192, 128, 128, 128, 112],
        );
    });

    it("orders every property of every policy's config schema", () => {
        for (const p of POLICIES) for (const prop of Object.keys(p.configSchema?.properties ?? {})) assert.ok(prop in POLICY_PROPERTY_ORDER, `${p.name}.${prop}`);
    });

    it("finds a lower level, a looser limit, a lost requirement, an added exemption and a dropped mesh namespace", () => {
        const from = cfg({
            a: { enforcementLevel: "mandatory", properties: { maxLeafValidityHours: 720, meshRequired: true, serverAuthOnly: ["x"], meshNamespaces: ["spin"], rootNamespace: "istio-system" } },
        });
        assert.deepStrictEqual(policyWeakenings(from, from), []);
        const to = cfg({ a: { enforcementLevel: "advisory", properties: { maxLeafValidityHours: 2160, meshRequired: false, serverAuthOnly: ["x", "y"], meshNamespaces: [], rootNamespace: "mesh" } } });
        assert.deepStrictEqual(
            policyWeakenings(from, to).map((w) => w.knob),
            ["a enforcement level", "a.maxLeafValidityHours", "a.meshRequired", "a.serverAuthOnly", "a.meshNamespaces"],
        );
        assert.deepStrictEqual(policyWeakenings(to, from), [], "the other way is only stricter");
    });

    it("refuses to compare a property it has no order for", () => {
        assert.throws(() => policyWeakenings(cfg({ a: { properties: { newKnob: 1 } } }), cfg({ a: {} })), /policy config property a\.newKnob has no strictness order; add it to POLICY_PROPERTY_ORDER/);
    });
});
