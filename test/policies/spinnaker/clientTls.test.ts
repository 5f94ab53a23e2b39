import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { goProfile, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-client-tls";
const FIX = "Fix: point it at the service's Secret with an encryptedFile:/encrypted: reference, as for server.ssl";
const P = "SpinnakerService spinnaker/spinnaker: spec.spinnakerConfig.profiles";
const goClient = (svc: string) => ({
    cacertFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:ca.crt`,
    clientCertFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:tls.crt`,
    clientKeyFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:tls.key`,
});

describe("policy spinnaker-client-tls", () => {
    it("accepts Java services with an ok-http-client key store and trust store, Go services with their http client files, and a patch that does not touch TLS", async () => {
        const f = spinnakerService();
        spinnakerConfig(f).profiles.terraformer = { ...goProfile("terraformer"), http: goClient("terraformer") };
        const untouched = spinnakerService({ patch: true });
        spinnakerConfig(untouched).profiles = { orca: { "spring.application.name": "orca" } };
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
        assert.deepStrictEqual(await messages(POLICY, [untouched]), []);
    });

    it("refuses a Java service whose client lost its key store, its trust store or their passwords, set in any spelling", async () => {
        const f = spinnakerService();
        const p = spinnakerConfig(f).profiles;
        delete (p.orca["ok-http-client"] as Record<string, unknown>)["key-store"];
        (p.gate["ok-http-client"] as Record<string, unknown>)["trust-store"] = "";
        delete (p.echo["ok-http-client"] as Record<string, unknown>)["trust-store-password"];
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${P}.echo.ok-http-client.trust-store-password: is not set, so echo trusts the default public CAs instead of the Spinnaker CA. ${FIX}`,
            `${P}.gate.ok-http-client.trust-store: is not set, so gate trusts the default public CAs instead of the Spinnaker CA. ${FIX}`,
            `${P}.orca.ok-http-client.key-store: is not set, so orca calls the other services without its certificate. ${FIX}`,
        ]);
    });

    it("judges Gate's client even while Gate serves plain HTTP behind the edge exception", async () => {
        const f = spinnakerService();
        const gate = spinnakerConfig(f).profiles.gate;
        (gate.server as Record<string, Record<string, unknown>>).ssl.enabled = false;
        delete (gate["ok-http-client"] as Record<string, unknown>)["key-store-password"];
        assert.deepStrictEqual(await messages(POLICY, [f]), [`${P}.gate.ok-http-client.key-store-password: is not set, so gate calls the other services without its certificate. ${FIX}`]);
    });

    it("refuses a Go service without its client certificate or CA", async () => {
        const f = spinnakerService();
        const { cacertFile, clientKeyFile } = goClient("dinghy");
        spinnakerConfig(f).profiles.dinghy = { ...goProfile("dinghy"), http: { cacertFile, clientKeyFile } };
        spinnakerConfig(f).profiles.terraformer = { ...goProfile("terraformer"), http: { clientCertFile: "x", clientKeyFile } };
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${P}.dinghy.http.clientCertFile: is not set, so dinghy calls the other services without its certificate. ${FIX}`,
            `${P}.terraformer.http.cacertFile: is not set, so terraformer trusts the default public CAs instead of the Spinnaker CA. ${FIX}`,
        ]);
    });
});
