import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { goProfile, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-server-trust";
const P = "SpinnakerService spinnaker/spinnaker: spec.spinnakerConfig.profiles";
type Props = Record<string, Record<string, Record<string, unknown>>>;

describe("policy spinnaker-server-trust", () => {
    it("accepts servers that trust the program's CA trust bundle (beside cert-manager's certificates), Java and Go", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        p.terraformer = goProfile("terraformer");
        (p.orca as Props).server.ssl["trust-store"] = "encryptedFile:k8s!n:spinnaker-mtls-ca-trust!k:truststore.p12";
        (p.terraformer as Props).server.ssl.cacertFile = "encryptedFile:k8s!n:spinnaker-mtls-ca-trust!k:ca.crt";
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
    });

    it("accepts servers that trust their own certificate's Secret, a user's own Secret name for both, a server with TLS off, and file paths it cannot attribute", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        p.terraformer = goProfile("terraformer");
        const orca = (p.orca as Props).server.ssl;
        orca["key-store"] = "encryptedFile:k8s!n:orca-identity!k:keystore.p12";
        orca["trust-store"] = "encryptedFile:k8s!n:orca-identity!k:truststore.p12";
        (p.echo as Props).server.ssl["trust-store"] = "/opt/echo/certs/truststore.p12";
        (p.gate as Props).server = { ssl: { enabled: false, "trust-store": "encryptedFile:k8s!n:spinnaker-mtls-jvm-truststore!k:truststore.p12" } };
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
    });

    it("refuses a Java server trusting the JVM-wide store or another service's", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        (p.orca as Props).server.ssl["trust-store"] = "encryptedFile:k8s!n:spinnaker-mtls-jvm-truststore!k:truststore.p12";
        (p.front50 as Props).server.ssl["trust-store"] = "encryptedFile:k8s!n:spin-gate-tls!k:truststore.p12";
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${P}.front50.server.ssl.trust-store: reads Secret spin-gate-tls, not spin-front50-tls, so front50 accepts client certificates from whatever CAs that Secret holds, not only the stack's. Fix: point it at spin-front50-tls or spinnaker-mtls-ca-trust, whose trust stores hold the stack's CAs alone`,
            `${P}.orca.server.ssl.trust-store: reads Secret spinnaker-mtls-jvm-truststore, not spin-orca-tls, so orca accepts client certificates from whatever CAs that Secret holds, not only the stack's. Fix: point it at spin-orca-tls or spinnaker-mtls-ca-trust, whose trust stores hold the stack's CAs alone`,
        ]);
    });

    it("refuses a Go server whose cacertFile is another Secret's", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        p.terraformer = goProfile("terraformer");
        (p.terraformer as Props).server.ssl.cacertFile = "encryptedFile:k8s!n:org-cas!k:bundle.pem";
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${P}.terraformer.server.ssl.cacertFile: reads Secret org-cas, not spin-terraformer-tls, so terraformer accepts client certificates from whatever CAs that Secret holds, not only the stack's. Fix: point it at spin-terraformer-tls or spinnaker-mtls-ca-trust, whose trust stores hold the stack's CAs alone`,
        ]);
    });
});
