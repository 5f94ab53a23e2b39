import * as assert from "assert";
import * as crypto from "crypto";
import { checkState } from "../../../engine/policyCheck";
import { extensionOids } from "../../../policies/lib/x509";
import { Fixture, messages, policyPack } from "../../support/policyPack";
import { importedChainRun, opensslChain } from "../../support/pki";
import { run } from "../../support/stacks";

const POLICY = "ca-name-constraints";
const CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
const CONSTRAINED = `${CA_EXT}nameConstraints=critical,permitted;DNS:.spinnaker.svc,permitted;DNS:.spinnaker.svc.cluster.local\n`;
const stackWith = (caCertificatePem: string, generated: string[] = []): Fixture[] => [
    { type: "pulumi:pulumi:Stack", name: "spinnaker-mtls-test", inputs: {}, outputs: { caCertificatePem } },
    ...generated.map((certPem, i) => ({ type: "tls:index/selfSignedCert:SelfSignedCert", name: `ca-${i}`, inputs: { isCaCertificate: true }, outputs: { certPem, isCaCertificate: true } })),
];
const FIX =
    "Fix: if the CA exists for Spinnaker alone, give it (or an intermediate under it) a nameConstraints extension permitting only the stack's names: OpenSSL (Redis) and Go's crypto/x509 then refuse other names, JSSE does not for a CA its trust store holds; an organisation's general CA may stay as it is (docs/configuration.md, Name constraints)";
const problem = (subjects: string) =>
    `stack output caCertificatePem: the imported CA ${subjects} carries no nameConstraints, so it may sign for any host name, public ones included, and every JVM, Go service and Redis that trusts it accepts the certificate. ${FIX}`;

describe("policy ca-name-constraints", () => {
    it("reads the extensions OpenSSL wrote (positive control of the DER reader)", () => {
        const [root] = opensslChain({ commonName: "Constrained", extensions: CONSTRAINED }).cas;
        assert.deepStrictEqual(extensionOids(new crypto.X509Certificate(root.certPem)), ["2.5.29.19", "2.5.29.15", "2.5.29.14", "2.5.29.30"]);
        const [plain] = opensslChain({ commonName: "Plain" }).cas;
        assert.ok(!extensionOids(new crypto.X509Certificate(plain.certPem)).includes("2.5.29.30"));
    });

    it("accepts the program's generated CAs, an imported root with nameConstraints, and an imported chain whose intermediate carries them", async () => {
        const generated = opensslChain({ commonName: "Generated stand-in" }).cas[0].certPem;
        const constrainedRoot = opensslChain({ commonName: "Constrained root", extensions: CONSTRAINED }).cas[0].certPem;
        const chain = opensslChain({ commonName: "Org root" }, { commonName: "Spinnaker intermediate", extensions: CONSTRAINED });
        for (const fixtures of [stackWith(generated, [generated]), stackWith(constrainedRoot), stackWith(chain.cas[0].certPem + chain.cas[1].certPem)]) {
            assert.deepStrictEqual(await messages(POLICY, fixtures), []);
        }
    });

    it("advises on an imported root without nameConstraints, naming it", async () => {
        const root = opensslChain({ commonName: "Org root" }).cas[0].certPem;
        assert.deepStrictEqual(await messages(POLICY, stackWith(root)), [problem("'CN=Org root'")]);
    });

    it("advises on an imported next CA during a rotation, beside a generated current one", async () => {
        const generated = opensslChain({ commonName: "Generated stand-in" }).cas[0].certPem;
        const next = opensslChain({ commonName: "Next org root" }).cas[0].certPem;
        assert.deepStrictEqual(await messages(POLICY, stackWith(generated + next, [generated])), [problem("'CN=Next org root'")]);
    });

    it("is advisory in prod's own run: verify lists it, and it refuses nothing", async function () {
        this.timeout(60_000);
        const chain = opensslChain({ commonName: "Org root" }, { commonName: "Org intermediate" });
        const { stack, config, secretConfigKeys } = importedChainRun(chain);
        const result = await checkState((await run({ stack, config, secretConfigKeys })).export, await policyPack());
        const mine = result.findings.filter((f) => f.policy === POLICY);
        // caCertificatePem holds the root, then the intermediates (docs/configuration.md, "An imported CA").
        assert.deepStrictEqual(mine.map((f) => [f.level, f.message]), [["advisory", problem("'CN=Org root', 'CN=Org intermediate'")]]);
    });
});
