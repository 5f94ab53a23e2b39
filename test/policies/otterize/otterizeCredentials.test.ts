import * as assert from "assert";
import { Fixture, messages } from "../../support/policyPack";
import { JAVA, NS, redisStatefulSet, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "otterize-credentials";
const P = "credentials-operator.otterize.com";
const GENERATED = "T0pS3cretGeneratedPassw0rdOf32ch";
const REQUIRED = { [POLICY]: { required: true, maxCertTtlHours: 12 } };
const FIX_PASSWORD = "Fix: give each service a generated password (certificateBackend otterize does)";
const FIX_TTL = "Fix: set it to at most 43200 seconds (12 hours; stack config otterizeCertTtlHours)";

const javaAnnotations = (svc: string): Record<string, string> => ({
    [`${P}/tls-secret-name`]: `spin-${svc}-tls`,
    [`${P}/cert-type`]: "jks",
    [`${P}/cert-ttl`]: "43200",
    [`${P}/jks-password`]: GENERATED,
});
const pemAnnotations = (name: string): Record<string, string> => ({ [`${P}/tls-secret-name`]: `spin-${name}-tls`, [`${P}/cert-type`]: "pem", [`${P}/cert-ttl`]: "3600" });

/** A SpinnakerService whose every Java service asks the operator for its credentials, as certificateBackend otterize writes it. */
function compliant(): Fixture {
    const f = spinnakerService();
    for (const svc of JAVA) {
        const s = spinnakerConfig(f)["service-settings"][svc] as Record<string, Record<string, unknown>>;
        s.kubernetes.podAnnotations = javaAnnotations(svc);
    }
    (spinnakerConfig(f)["service-settings"].deck as Record<string, Record<string, unknown>>).kubernetes.podAnnotations = pemAnnotations("deck");
    return f;
}
const orcaAnnotations = (f: Fixture) => ((spinnakerConfig(f)["service-settings"].orca as Record<string, Record<string, unknown>>).kubernetes.podAnnotations as Record<string, string>);
const ORCA = `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.orca.kubernetes.podAnnotations`;

describe("policy otterize-credentials", () => {
    it("accepts the program's otterize annotations, and a stack without any when not required", async () => {
        const redis = redisStatefulSet(NS, { annotations: pemAnnotations("redis") });
        assert.deepStrictEqual(await messages(POLICY, [compliant(), redis], REQUIRED), []);
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService(), redisStatefulSet()]), []);
    });

    it("refuses a Spinnaker service without the annotations, when required or when its other services use the operator", async () => {
        const f = compliant();
        delete (spinnakerConfig(f)["service-settings"].orca as Record<string, Record<string, unknown>>).kubernetes.podAnnotations;
        const expected = [
            `${ORCA}["${P}/tls-secret-name"]: is not set, so the Otterize credentials operator issues these pods no certificate and they start without their TLS material. Fix: add the operator's annotations to the pods (certificateBackend otterize puts them in podAnnotations)`,
        ];
        assert.deepStrictEqual(await messages(POLICY, [f], REQUIRED), expected);
        assert.deepStrictEqual(await messages(POLICY, [f]), expected);
    });

    it("refuses a Redis pod without them when required", async () => {
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet()], REQUIRED), [
            `StatefulSet ${NS}/spin-redis: spec.template.metadata.annotations["${P}/tls-secret-name"]: is not set, so the Otterize credentials operator issues these pods no certificate and they start without their TLS material. Fix: add the operator's annotations to the pods (certificateBackend otterize puts them in podAnnotations)`,
        ]);
    });

    it("refuses the operator's default keystore password, set or left unset, without printing a password", async () => {
        const f = compliant();
        orcaAnnotations(f)[`${P}/jks-password`] = "password";
        const g = compliant();
        delete orcaAnnotations(g)[`${P}/jks-password`];
        assert.deepStrictEqual(await messages(POLICY, [f], REQUIRED), [`${ORCA}["${P}/jks-password"]: is the operator's well-known default password (or empty). ${FIX_PASSWORD}`]);
        assert.deepStrictEqual(await messages(POLICY, [g], REQUIRED), [`${ORCA}["${P}/jks-password"]: is not set, so the operator protects the keystore with its well-known default password. ${FIX_PASSWORD}`]);
    });

    it("reads the previous generation's names too", async () => {
        const f = compliant();
        const a = orcaAnnotations(f);
        delete a[`${P}/jks-password`];
        a["spire-integration.otterize.com/jks-password"] = "password";
        assert.deepStrictEqual(await messages(POLICY, [f], REQUIRED), [`${ORCA}["spire-integration.otterize.com/jks-password"]: is the operator's well-known default password (or empty). ${FIX_PASSWORD}`]);
    });

    it("refuses PEM credentials for a Java service, which reads keystores", async () => {
        const f = compliant();
        orcaAnnotations(f)[`${P}/cert-type`] = "pem";
        assert.deepStrictEqual(await messages(POLICY, [f], REQUIRED), [`${ORCA}["${P}/cert-type"]: is 'pem', so the operator writes PEM files and no keystore for a Java service that reads keystores. Fix: set it to "jks"`]);
    });

    it("refuses a TTL above the maximum, not a number, or unset", async () => {
        const cases: [string | undefined, string][] = [
            ["86400", "is 86400 seconds (24.0 hours), above the maximum of 12 hours"],
            ["1d", "is '1d', not a number of seconds"],
            [undefined, "is not set, so the certificate lives as long as the provider's default, which this pack cannot bound"],
        ];
        for (const [value, says] of cases) {
            const f = compliant();
            if (value === undefined) delete orcaAnnotations(f)[`${P}/cert-ttl`];
            else orcaAnnotations(f)[`${P}/cert-ttl`] = value;
            assert.deepStrictEqual(await messages(POLICY, [f], REQUIRED), [`${ORCA}["${P}/cert-ttl"]: ${says}. ${FIX_TTL}`], String(value));
        }
    });

    it("the password annotation is this rule's: the secret-literal rules leave it alone, and judge any other", async () => {
        const f = compliant();
        orcaAnnotations(f)["vault.example.com/token"] = "s.abcdef";
        const others = [...(await messages("no-secrets-in-annotations", [f])), ...(await messages("spinnaker-secret-references", [f]))];
        assert.ok(others.length >= 1 && others.every((m) => m.includes("vault.example.com/token") && !m.includes("jks-password")), others.join("\n"));
    });
});
