import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-https-base-urls";
const FIX = "Fix: use https://<service>.spinnaker:<port>, a name the service's certificate carries";
const S = "SpinnakerService spinnaker/spinnaker: spec.spinnakerConfig";

/** The fixture with these baseUrls in service-settings. */
function withBaseUrls(urls: Record<string, string>) {
    const f = spinnakerService();
    const settings = spinnakerConfig(f)["service-settings"];
    for (const [svc, url] of Object.entries(urls)) settings[svc] = { ...(settings[svc] as Record<string, unknown>), baseUrl: url };
    return f;
}

describe("policy spinnaker-https-base-urls", () => {
    it("accepts https:// to service names, placeholders, Redis URLs (spinnaker-redis-tls's), and http:// for Gate and Deck only while they serve plain HTTP", async () => {
        const f = withBaseUrls({ orca: "https://spin-orca.spinnaker:8083", echo: "${services.echo.baseUrl}", gate: "http://spin-gate.spinnaker:8084", deck: "http://spin-deck.spinnaker:9000" });
        const c = spinnakerConfig(f);
        ((c.profiles.gate.server as Record<string, Record<string, unknown>>).ssl).enabled = false;
        delete (c["service-settings"].deck.env as Record<string, unknown>).DECK_CERT;
        c.profiles.orca.services = { redis: { baseUrl: "rediss://spin-redis:6379" }, clouddriver: { baseUrl: "https://spin-clouddriver.spinnaker:7002" } };
        c.config = { security: { apiSecurity: { overrideBaseUrl: "https://spinnaker.example.com/api/v1" } } };
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
    });

    it("refuses http:// to a service that serves TLS, Gate included", async () => {
        assert.deepStrictEqual(await messages(POLICY, [withBaseUrls({ orca: "http://spin-orca.spinnaker:8083", gate: "http://spin-gate.spinnaker:8084" })]), [
            `${S}.service-settings.gate.baseUrl: is 'http://spin-gate.spinnaker:8084', which is http://: gate is called without TLS. ${FIX}`,
            `${S}.service-settings.orca.baseUrl: is 'http://spin-orca.spinnaker:8083', which is http://: orca is called without TLS. ${FIX}`,
        ]);
    });

    it("refuses an IP address (v4 or v6) and a missing scheme", async () => {
        assert.deepStrictEqual(await messages(POLICY, [withBaseUrls({ orca: "https://10.0.0.12:8083", echo: "https://[fd00::12]:8089", rosco: "spin-rosco.spinnaker:8087" })]), [
            `${S}.service-settings.echo.baseUrl: is 'https://[fd00::12]:8089', which names the IP address [fd00::12]: no service certificate carries it, so the call either fails hostname verification or is made with it turned off. ${FIX}`,
            `${S}.service-settings.orca.baseUrl: is 'https://10.0.0.12:8083', which names the IP address 10.0.0.12: no service certificate carries it, so the call either fails hostname verification or is made with it turned off. ${FIX}`,
            `${S}.service-settings.rosco.baseUrl: is 'spin-rosco.spinnaker:8087', which has no scheme, so nothing makes the call use TLS. ${FIX}`,
        ]);
    });

    it("refuses the same in a profile's services.<name>.baseUrl and in an overrideBaseUrl", async () => {
        const f = spinnakerService();
        const c = spinnakerConfig(f);
        c.profiles.gate.services = { clouddriver: { baseUrl: "http://spin-clouddriver.spinnaker:7002" } };
        c.config = { security: { uiSecurity: { overrideBaseUrl: "http://spinnaker.example.com" } } };
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${S}.config.security.uiSecurity.overrideBaseUrl: is 'http://spinnaker.example.com', which is http://: Spinnaker is called without TLS. ${FIX}`,
            `${S}.profiles.gate.services.clouddriver.baseUrl: is 'http://spin-clouddriver.spinnaker:7002', which is http://: clouddriver is called without TLS. ${FIX}`,
        ]);
    });
});
