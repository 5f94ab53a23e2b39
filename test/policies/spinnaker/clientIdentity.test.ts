import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { goProfile, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-client-identity";
const P = "SpinnakerService spinnaker/spinnaker: spec.spinnakerConfig.profiles";
const goClient = (svc: string) => ({
    cacertFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:ca.crt`,
    clientCertFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:tls.crt`,
    clientKeyFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:tls.key`,
});
type Props = Record<string, Record<string, unknown>>;

describe("policy spinnaker-client-identity", () => {
    it("accepts every service calling with its own Secret, a user's own Secret names used for both server and client, and file paths it cannot attribute", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        p.terraformer = { ...goProfile("terraformer"), http: goClient("terraformer") };
        // A team that names its Secrets differently: server and client read the same one.
        const custom = "encryptedFile:k8s!n:orca-identity!k:keystore.p12";
        ((p.orca as Props).server.ssl as Record<string, unknown>)["key-store"] = custom;
        (p.orca as Props)["ok-http-client"]["key-store"] = custom;
        (p.echo as Props)["ok-http-client"]["key-store"] = "/opt/echo/certs/keystore.p12";
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
    });

    it("refuses a Java service whose client key-store is another service's identity, or another Secret than its server's", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        (p.orca as Props)["ok-http-client"]["key-store"] = "encryptedFile:k8s!n:spin-gate-tls!k:keystore.p12";
        (p.echo as Props)["ok-http-client"]["key-store"] = "encryptedFile:k8s!n:shared-client!k:keystore.p12";
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${P}.echo.ok-http-client.key-store: reads Secret shared-client, not spin-echo-tls, so echo calls its peers as someone else. Fix: point it at spin-echo-tls, the Secret echo's own certificate is in`,
            `${P}.orca.ok-http-client.key-store: reads Secret spin-gate-tls (spin-gate's identity), not spin-orca-tls, so orca calls its peers as someone else. Fix: point it at spin-orca-tls, the Secret orca's own certificate is in`,
        ]);
    });

    it("refuses a Go service whose client certificate or key is another service's, or whose server key is not its certificate's", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        p.terraformer = { ...goProfile("terraformer"), http: { ...goClient("terraformer"), clientCertFile: "encryptedFile:k8s!n:spin-dinghy-tls!k:tls.crt" } };
        p.dinghy = { ...goProfile("dinghy"), http: goClient("dinghy") };
        ((p.dinghy as Props).server.ssl as Record<string, unknown>).keyFile = "encryptedFile:k8s!n:spin-clouddriver-tls!k:tls.key";
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${P}.dinghy.server.ssl.keyFile: reads Secret spin-clouddriver-tls (spin-clouddriver's identity), not spin-dinghy-tls, so dinghy serves a certificate and key of different identities. Fix: point it at spin-dinghy-tls, the Secret dinghy's own certificate is in`,
            `${P}.terraformer.http.clientCertFile: reads Secret spin-dinghy-tls (spin-dinghy's identity), not spin-terraformer-tls, so terraformer calls its peers as someone else. Fix: point it at spin-terraformer-tls, the Secret terraformer's own certificate is in`,
        ]);
    });

    it("judges Gate's client by the program's name for its identity while Gate serves plain HTTP behind the edge (no server key-store)", async () => {
        const f = spinnakerService();
        const gate = spinnakerConfig(f).profiles.gate as Props;
        gate.server = { ssl: { enabled: false } };
        gate["ok-http-client"]["key-store"] = "encryptedFile:k8s!n:spin-deck-tls!k:keystore.p12";
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${P}.gate.ok-http-client.key-store: reads Secret spin-deck-tls (spin-deck's identity), not spin-gate-tls, so gate calls its peers as someone else. Fix: point it at spin-gate-tls, the Secret gate's own certificate is in`,
        ]);
    });
});
