import * as assert from "assert";
import { Fixture, messages } from "../../support/policyPack";
import { certificate } from "./fixtures";

const POLICY = "certificate-names";
const forms = (id: string, ns = "spinnaker") => [id, `${id}.${ns}`, `${id}.${ns}.svc`, `${id}.${ns}.svc.cluster.local`];
const csr = (name: string, dnsNames: string[]): Fixture => ({ type: "tls:index/certRequest:CertRequest", name, inputs: { dnsNames } });

describe("policy certificate-names", () => {
    it("accepts each identity's own names: its Service forms, a second Service of its own, its pods' names, a public host, and the CA", async () => {
        const fixtures = [
            csr("spin-gate-csr", [...forms("spin-gate"), ...forms("spin-gate-api"), "spinnaker-api.example.com"]),
            csr("spin-orca-csr", forms("spin-orca")),
            csr("spin-redis-csr", [...forms("spin-redis"), "spin-redis-0.spin-redis-headless.spinnaker.svc.cluster.local"]),
            csr("spin-redis-go-csr", [...forms("spin-redis-go"), "spin-redis-go-0.spin-redis-go-headless.spinnaker.svc.cluster.local"]),
            certificate({ dnsNames: forms("spin-echo") }, "spin-echo"),
            certificate({ isCA: true, dnsNames: ["*.anything"] }, "spinnaker-mtls-ca"),
        ];
        assert.deepStrictEqual(await messages(POLICY, fixtures), []);
    });

    it("refuses a wildcard, in a CertRequest and in a Certificate", async () => {
        assert.deepStrictEqual(await messages(POLICY, [csr("spin-orca-csr", [...forms("spin-orca"), "*.spinnaker.svc"]), certificate({ dnsNames: ["*.spinnaker.svc.cluster.local"] }, "spin-echo")]), [
            "CertRequest spin-orca-csr: dnsNames: holds '*.spinnaker.svc', a wildcard, so this certificate answers for every name it covers. Fix: list the service's own names one by one",
            "Certificate spinnaker/spin-echo: spec.dnsNames: holds '*.spinnaker.svc.cluster.local', a wildcard, so this certificate answers for every name it covers. Fix: list the service's own names one by one",
        ]);
    });

    it("refuses another identity's name: a Service form, or one of its pods", async () => {
        const fixtures = [
            csr("spin-gate-csr", forms("spin-gate")),
            csr("spin-redis-csr", forms("spin-redis")),
            csr("spin-orca-csr", [...forms("spin-orca"), "spin-gate.spinnaker.svc"]),
            certificate({ dnsNames: [...forms("spin-echo"), "spin-redis-0.spin-redis-headless.spinnaker.svc.cluster.local"] }, "spin-echo"),
        ];
        assert.deepStrictEqual(await messages(POLICY, fixtures), [
            "CertRequest spin-orca-csr: dnsNames: holds 'spin-gate.spinnaker.svc', a name of spin-gate, so spin-orca's key can answer as spin-gate. Fix: issue spin-orca only its own names",
            "Certificate spinnaker/spin-echo: spec.dnsNames: holds 'spin-redis-0.spin-redis-headless.spinnaker.svc.cluster.local', a name of spin-redis, so spin-echo's key can answer as spin-redis. Fix: issue spin-echo only its own names",
        ]);
    });
});
