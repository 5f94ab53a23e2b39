// The trust graph's HTML page (the golden files the command wrote) in a real
// headless Chromium, Debian's /usr/bin/chromium driven by playwright-core:
// the graph renders, a workload answers a click with its calls, and no
// request leaves the page. The page is served from 127.0.0.1 by a server
// this test starts and always stops; every request the browser makes is
// counted, at the browser and at the server.
//
// With UPDATE_GOLDEN=1 the screenshot in docs/trust-graph.png is retaken.
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { BrowserContext, chromium } from "playwright-core";
import { PROJECT_ROOT } from "../../engine/run";
import type { TrustGraph } from "../../tools/graph/schema";

const CHROMIUM = "/usr/bin/chromium";
const GOLDEN = path.join(PROJECT_ROOT, "test", "tools", "graph");
const SCREENSHOT = path.join(PROJECT_ROOT, "docs", "trust-graph.png");
/** Mermaid itself (the library GitHub renders Mermaid blocks with), its browser bundle. */
const MERMAID = require.resolve("mermaid/dist/mermaid.min.js");
const MERMAID_VERSION = (JSON.parse(fs.readFileSync(path.join(path.dirname(MERMAID), "..", "package.json"), "utf8")) as { version: string }).version;

describe("npm run graph: the HTML page in headless Chromium", function () {
    this.timeout(120_000);
    let server: http.Server;
    let base: string;
    const served: string[] = [];
    let context: BrowserContext;
    let profile: string;

    before(async () => {
        assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
        server = http.createServer((req, res) => {
            served.push(req.url ?? "");
            if (req.url === "/control.html") {
                // A page that does fetch something: the counters' positive control.
                res.writeHead(200, { "content-type": "text/html" }).end('<!DOCTYPE html><link rel="icon" href="data:,"><img src="/pixel.png">');
                return;
            }
            if (req.url === "/mermaid.html") {
                res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end('<!DOCTYPE html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/mermaid.min.js"></script><body></body>');
                return;
            }
            if (req.url === "/mermaid.min.js") {
                res.writeHead(200, { "content-type": "text/javascript" }).end(fs.readFileSync(MERMAID));
                return;
            }
            const m = /^\/(dev|prod)\.html$/.exec(req.url ?? "");
            if (!m) {
                res.writeHead(404).end();
                return;
            }
            res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(fs.readFileSync(path.join(GOLDEN, `${m[1]}.html`)));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        profile = fs.mkdtempSync(path.join(os.tmpdir(), "graph-chromium-"));
        context = await chromium.launchPersistentContext(profile, {
            executablePath: CHROMIUM,
            headless: true,
            args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            viewport: { width: 1600, height: 1000 },
        });
    });

    after(async () => {
        await context?.close().catch(() => undefined);
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        if (profile) fs.rmSync(profile, { recursive: true, force: true });
    });

    it("counts a request a page makes, at the browser and at the server (positive control)", async () => {
        const page = await context.newPage();
        const requests: string[] = [];
        page.on("request", (r) => requests.push(r.url()));
        served.length = 0;
        await page.goto(`${base}/control.html`, { waitUntil: "load" });
        await page.close();
        assert.deepStrictEqual(requests, [`${base}/control.html`, `${base}/pixel.png`]);
        assert.deepStrictEqual(served, ["/control.html", "/pixel.png"]);
    });

    /** Mermaid's own parse and render of `text` in the page: the workloads drawn (ids n_*; the legend's are legend_*), the calls, the text; or Mermaid's error. */
    const renderMermaid = async (text: string): Promise<{ nodes: number; edges: number; labels: string } | { error: string }> => {
        const page = await context.newPage();
        try {
            await page.goto(`${base}/mermaid.html`, { waitUntil: "load" });
            return await page.evaluate(async (source) => {
                // In the page: its globals, typed here (this project compiles without the DOM's types).
                interface Found { length: number }
                interface PageGlobals {
                    mermaid: { initialize(c: object): void; parse(t: string): Promise<unknown>; render(id: string, t: string): Promise<{ svg: string }> };
                    document: { body: { innerHTML: string; textContent: string | null; querySelectorAll(q: string): Found } };
                }
                const { mermaid, document } = globalThis as unknown as PageGlobals;
                mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
                try {
                    await mermaid.parse(source);
                    const { svg } = await mermaid.render("trust-graph", source);
                    // Into the page as the browser takes it (its labels are HTML, not well-formed XML).
                    document.body.innerHTML = svg;
                    const body = document.body;
                    return { nodes: body.querySelectorAll('g.node[id*="-flowchart-n_"]').length, edges: body.querySelectorAll("path.flowchart-link").length, labels: body.textContent ?? "" };
                } catch (e) {
                    return { error: String((e as Error).message ?? e) };
                }
            }, text);
        } finally {
            await page.close();
        }
    };

    it(`Mermaid ${MERMAID_VERSION} refuses a broken diagram (positive control)`, async () => {
        const broken = fs.readFileSync(path.join(GOLDEN, "dev.mmd"), "utf8").replace(/\n {2}end\n/, "\n");
        const r = await renderMermaid(broken);
        assert.ok("error" in r, `a subgraph without its end was rendered: ${JSON.stringify(r).slice(0, 200)}`);
    });

    for (const name of ["dev", "prod", "prod-against-dev"]) {
        it(`${name}.mmd: Mermaid ${MERMAID_VERSION} parses and renders it, with every workload and call`, async () => {
            const text = fs.readFileSync(path.join(GOLDEN, `${name}.mmd`), "utf8");
            const r = await renderMermaid(text);
            assert.ok(!("error" in r), `Mermaid refused ${name}.mmd: ${"error" in r ? r.error : ""}`);
            if (name === "prod-against-dev") {
                // The diff draws both graphs' workloads and calls: at least prod's.
                const g = JSON.parse(fs.readFileSync(path.join(GOLDEN, "prod.json"), "utf8")) as TrustGraph;
                assert.ok(r.nodes >= g.nodes.length && r.edges >= g.edges.length, JSON.stringify({ nodes: r.nodes, edges: r.edges }));
                return;
            }
            const g = JSON.parse(fs.readFileSync(path.join(GOLDEN, `${name}.json`), "utf8")) as TrustGraph;
            assert.strictEqual(r.nodes, g.nodes.length, "workloads drawn");
            assert.strictEqual(r.edges, g.edges.length, "calls drawn");
            for (const n of g.nodes) assert.ok(r.labels.includes(n.label), `${n.label} is not drawn`);
        });
    }

    for (const stack of ["prod", "dev"]) {
        it(`${stack}.html: the graph renders, a click on orca lists its calls, and the only request is the page itself`, async () => {
            const g = JSON.parse(fs.readFileSync(path.join(GOLDEN, `${stack}.json`), "utf8")) as TrustGraph;
            const page = await context.newPage();
            const requests: string[] = [];
            const problems: string[] = [];
            page.on("request", (r) => requests.push(r.url()));
            page.on("console", (m) => (m.type() === "error" || m.type() === "warning" ? problems.push(m.text()) : undefined));
            page.on("pageerror", (e) => problems.push(e.message));
            served.length = 0;
            const url = `${base}/${stack}.html`;
            await page.goto(url, { waitUntil: "load" });
            await page.waitForSelector("#graph-svg .node");

            // Rendered: every workload and call is there, with a real size on screen.
            assert.strictEqual(await page.locator("#graph-svg .node").count(), g.nodes.length);
            assert.strictEqual(await page.locator("#graph-svg .edge").count(), g.edges.length);
            assert.strictEqual(await page.locator("#timeline-svg .cert-row").count(), g.certificates.length);
            const box = await page.locator("#graph-svg").boundingBox();
            assert.ok(box && box.width > 400 && box.height > 150, `graph box ${JSON.stringify(box)}`);

            // A click on a workload shows its calls and certificate.
            await page.locator('#graph-svg .node[data-node-id="orca"]').click();
            const details = page.locator("#details");
            assert.strictEqual(await details.getAttribute("data-selected"), "node:orca");
            const out = g.edges.filter((e) => e.from === "orca");
            const into = g.edges.filter((e) => e.to === "orca");
            const text = (await details.textContent()) ?? "";
            assert.ok(text.includes(`Calls out (${out.length})`), text.slice(0, 300));
            assert.ok(text.includes(`Calls in (${into.length})`));
            for (const e of out) assert.ok(text.includes(e.to), `${e.to} not listed`);
            assert.ok(text.includes("Certificate spin-orca"));
            assert.strictEqual(await page.locator("#graph-svg .edge.related").count(), out.length + into.length);
            assert.strictEqual(await page.locator("#graph-svg .node.selected").count(), 1);

            // A call and a certificate answer too.
            await page.locator(`#graph-svg .edge[data-edge-id="${out[0].id}"]`).dispatchEvent("click");
            assert.strictEqual(await details.getAttribute("data-selected"), `edge:${out[0].id}`);
            await page.locator('#timeline-svg .cert-row[data-certificate-id="spin-orca"]').click();
            assert.strictEqual(await details.getAttribute("data-selected"), "certificate:spin-orca");

            if (stack === "prod") {
                await page.locator('#graph-svg .node[data-node-id="orca"]').click();
                const shot = await page.screenshot({ fullPage: true });
                assert.ok(shot.length > 10_000, "an empty screenshot");
                if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(SCREENSHOT, shot);
            }
            await page.close();
            assert.deepStrictEqual(requests, [url], "requests the page made");
            assert.deepStrictEqual(served, [`/${stack}.html`], "requests the server saw");
            assert.deepStrictEqual(problems, [], "console errors (a Content-Security-Policy violation would be one)");
        });
    }
});
