import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { clone } from "../fixtures";

const POLICY = "gateway-tls";
const HOST = "spinnaker.example.com";
const compliant = {
    selector: { istio: "ingressgateway" },
    servers: [
        { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [HOST], tls: { httpsRedirect: true } },
        { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: [HOST], tls: { mode: "SIMPLE", credentialName: "spinnaker-ingress-tls", minProtocolVersion: "TLSV1_2" } },
    ],
};
type Server = { port: Record<string, unknown>; hosts: string[]; tls: Record<string, unknown> };
const gateway = (edit: (servers: Server[]) => void = () => undefined) => {
    const spec = clone(compliant);
    edit(spec.servers as Server[]);
    return kube("networking.istio.io/v1", "Gateway", { name: "spinnaker-gateway", namespace: "istio-system" }, { spec });
};
const at = (field: string, rest: string) => `Gateway istio-system/spinnaker-gateway: ${field}: ${rest}`;

describe("policy gateway-tls", () => {
    it("accepts an HTTPS server with SIMPLE or MUTUAL TLS 1.2+, an HTTP server that redirects, named hosts", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway(), gateway((s) => Object.assign(s[1].tls, { mode: "MUTUAL", minProtocolVersion: "TLSV1_3" }))]), []);
    });

    it("refuses an HTTPS server that passes TLS through or leaves the mode unset", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway((s) => (s[1].tls.mode = "PASSTHROUGH"))]), [
            at("spec.servers[1].tls.mode", "is 'PASSTHROUGH'. Fix: terminate TLS at the gateway with mode SIMPLE (or MUTUAL for client certificates)"),
        ]);
        assert.deepStrictEqual(await messages(POLICY, [gateway((s) => delete s[1].tls.mode)]), [at("spec.servers[1].tls.mode", "is 'unset'. Fix: terminate TLS at the gateway with mode SIMPLE (or MUTUAL for client certificates)")]);
    });

    it("refuses a minimum protocol below TLS 1.2, or none", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway((s) => (s[1].tls.minProtocolVersion = "TLSV1_1"))]), [at("spec.servers[1].tls.minProtocolVersion", "is 'TLSV1_1'. Fix: set minProtocolVersion: TLSV1_2 (or TLSV1_3)")]);
        assert.deepStrictEqual(await messages(POLICY, [gateway((s) => delete s[1].tls.minProtocolVersion)]), [at("spec.servers[1].tls.minProtocolVersion", "is 'unset'. Fix: set minProtocolVersion: TLSV1_2 (or TLSV1_3)")]);
    });

    it("refuses a maximum protocol below TLS 1.2", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway((s) => (s[1].tls.maxProtocolVersion = "TLSV1_0"))]), [
            at("spec.servers[1].tls.maxProtocolVersion", "is 'TLSV1_0', below TLS 1.2. Fix: remove maxProtocolVersion or set TLSV1_3"),
        ]);
    });

    it("refuses an HTTP server that serves instead of redirecting", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway((s) => (s[0].tls = {}))]), [
            at("spec.servers[0].tls.httpsRedirect", "is not set: the HTTP server on port 80 serves plaintext instead of redirecting. Fix: set tls.httpsRedirect: true"),
        ]);
    });

    it("refuses a '*' host, with or without a namespace", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway((s) => ((s[0].hosts = ["*"]), (s[1].hosts = [HOST, "spinnaker/*"])))]), [
            at("spec.servers[0].hosts[0]", "is '*', which accepts any host name. Fix: name the Spinnaker host (e.g. spinnaker.example.com)"),
            at("spec.servers[1].hosts[1]", "is 'spinnaker/*', which accepts any host name. Fix: name the Spinnaker host (e.g. spinnaker.example.com)"),
        ]);
    });
});
