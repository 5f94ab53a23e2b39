// The argfile is read by the java launcher, so the launcher judges it.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { quoteArgfileValue, renderJvmArgfile } from "../../../components/spinnaker/jvmArgfile";
import { tempDir } from "../../support/stacks";

const PROPS = `public class Props { public static void main(String[] a) { for (String k : a) System.out.println(k + "=[" + System.getProperty(k) + "]"); } }`;

describe("the JVM argfile", () => {
    it("carries JSSE settings and properties to a real JVM exactly, whatever characters the values hold", () => {
        const t = tempDir("argfile");
        try {
            const tricky = `rediss://:p@ss w#rd"q'\\x$HOME\`id\`@redis.example.com:6380/0`;
            const file = path.join(t.dir, "jvm-options");
            fs.writeFileSync(
                file,
                renderJvmArgfile({
                    keyStore: { path: "/opt/gate/secrets/spin-gate-tls/keystore.p12", password: "Abc123xyz" },
                    trustStore: { path: "/opt/gate/secrets/t/truststore.p12", password: "Zyx987cba" },
                    properties: { "spinnaker-mtls.spinnaker-mtls-redis.url": tricky },
                }),
            );
            fs.writeFileSync(path.join(t.dir, "Props.java"), PROPS);
            const keys = ["javax.net.ssl.keyStore", "javax.net.ssl.keyStoreType", "javax.net.ssl.keyStorePassword", "javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword", "spinnaker-mtls.spinnaker-mtls-redis.url"];
            const r = childProcess.spawnSync("java", [path.join(t.dir, "Props.java"), ...keys], { encoding: "utf8", env: { ...process.env, JDK_JAVA_OPTIONS: `@${file}` } });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.deepStrictEqual(r.stdout.trim().split("\n"), [
                "javax.net.ssl.keyStore=[/opt/gate/secrets/spin-gate-tls/keystore.p12]",
                "javax.net.ssl.keyStoreType=[PKCS12]",
                "javax.net.ssl.keyStorePassword=[Abc123xyz]",
                "javax.net.ssl.trustStore=[/opt/gate/secrets/t/truststore.p12]",
                "javax.net.ssl.trustStorePassword=[Zyx987cba]",
                `spinnaker-mtls.spinnaker-mtls-redis.url=[${tricky}]`,
            ]);
            assert.doesNotMatch(r.stderr, /Abc123xyz|Zyx987cba|p@ss/, "the launcher logs the argfile's path, not its content");
        } finally {
            t.remove();
        }
    });

    it("leaves out the JVM-wide key store when none is given (SQL-backed services)", () => {
        assert.doesNotMatch(renderJvmArgfile({ properties: { a: "b" } }), /javax\.net\.ssl/);
    });

    it("refuses values with control characters, which no quoting survives", () => {
        assert.throws(() => quoteArgfileValue("a\nb"), /cannot hold control characters/);
    });
});
