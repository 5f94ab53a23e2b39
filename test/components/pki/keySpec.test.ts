import * as assert from "assert";
import * as crypto from "crypto";
import { identityKeySpec, identityOf } from "../../../components/pki";
import { SERVICE_CATALOG, SERVICE_NAMES } from "../../../lib/catalog/serviceCatalog";
import { unwrap } from "../../../engine/monitor";
import { ofType, peerRun, serviceSecrets } from "../../support/stacks";

describe("identityKeySpec", () => {
    const p384 = { algorithm: "ECDSA", ecdsaCurve: "P384" } as const;

    it("gives the Go services RSA at the configured size whatever the stack's key, and everyone else the stack's key", () => {
        for (const name of SERVICE_NAMES) {
            const spec = identityKeySpec(identityOf(SERVICE_CATALOG[name]), p384, 4096);
            if (SERVICE_CATALOG[name].runtime === "go") assert.deepStrictEqual(spec, { algorithm: "RSA", rsaBits: 4096 }, name);
            else assert.deepStrictEqual(spec, p384, name);
        }
    });

    it("leaves identities without the RSA-only reader (Redis servers) on the stack's key", () => {
        assert.deepStrictEqual(identityKeySpec({ }, p384, 2048), p384);
    });
});

describe("the Go services' keys as issued by the program's PKI (prod, ECDSA P-384)", () => {
    it("are RSA PRIVATE KEY (PKCS#1) PEM blocks of rsaBits, while the Java services keep P-384", async () => {
        const r = await peerRun("prod");
        const secrets = serviceSecrets(r);
        for (const [service, f] of secrets) {
            const pem = f.files["tls.key"].toString();
            const key = crypto.createPrivateKey(pem);
            if (SERVICE_CATALOG[service as keyof typeof SERVICE_CATALOG].runtime === "go") {
                assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----\n/, service);
                assert.strictEqual(key.asymmetricKeyDetails?.modulusLength, 3072, service);
            } else {
                assert.strictEqual(key.asymmetricKeyType, "ec", service);
                assert.strictEqual(key.asymmetricKeyDetails?.namedCurve, "secp384r1", service);
            }
        }
        const keys = ofType(r, "tls:index/privateKey:PrivateKey").map((k) => ({ urn: k.urn, inputs: unwrap(k.inputs) as { algorithm: string } }));
        assert.ok(keys.some((k) => /spin-terraformer-key$/.test(k.urn) && k.inputs.algorithm === "RSA"));
    });
});
