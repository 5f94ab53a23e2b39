// One self-contained page: the laid-out graph, the legend, the certificate
// timeline and the findings, with the graph's JSON inline. Clicking (or
// Enter on) a workload shows its calls in and out, its certificate and its
// findings; clicking a call or a certificate shows that. Nothing is fetched:
// no external script, style, font or image, and a Content-Security-Policy
// that forbids any request, so the page works offline and leaks nothing.
import { Layout, Scene } from "./layout";
import { TrustGraph } from "./schema";
import { escapeXml } from "./style";
import { headline, renderGraphBody, renderLegend } from "./svg";
import { renderTimeline } from "./timeline";

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:0;color:#111827;background:#fff}
header{padding:12px 18px;border-bottom:1px solid #e5e7eb}
h1{font-size:18px;margin:0 0 4px}
h2{font-size:15px;margin:14px 0 6px}
header p{margin:2px 0;color:#4b5563;font-size:12px}
#layout{display:flex;align-items:flex-start;gap:12px;padding:12px 18px}
#graph{flex:1 1 auto;min-width:0;overflow:auto;border:1px solid #e5e7eb;border-radius:6px}
#graph svg{width:100%;height:auto}
#details{flex:0 0 380px;max-height:88vh;overflow:auto;border:1px solid #e5e7eb;border-radius:6px;padding:8px 12px;font-size:12px}
#details table{border-collapse:collapse;width:100%;margin:4px 0}
#details td,#details th{border-bottom:1px solid #f3f4f6;padding:2px 4px;text-align:left;vertical-align:top}
#details .muted{color:#6b7280}
#details .bad{color:#b91c1c;font-weight:bold}
section.wide{padding:0 18px 12px}
.node{cursor:pointer}
.node:focus{outline:none}
.node.selected rect{stroke:#111827;stroke-width:3}
.edge{cursor:pointer}
svg.dimmed .edge:not(.related),svg.dimmed .mesh-casings{opacity:.15}
.cert-row{cursor:pointer}
.cert-row.selected text{font-weight:bold;fill:#1d4ed8}
#findings li{font-size:12px;margin:3px 0}
code{font-size:11px}
`;

/** The page's script: plain DOM, text only (textContent), no network. */
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById("trust-graph-data").textContent);
  var panel = document.getElementById("details");
  var graphSvg = document.getElementById("graph-svg");
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function table(head, rows) {
    var t = el("table"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", h)); });
    t.appendChild(tr);
    rows.forEach(function (r) { var row = el("tr"); r.forEach(function (c) { row.appendChild(el("td", c)); }); t.appendChild(row); });
    return t;
  }
  function findingsOn(kind, id) {
    return (data.findings || []).filter(function (f) { return f.attachedTo.some(function (a) { return a.kind === kind && a.id === id; }); });
  }
  function findingList(list) {
    if (data.findings === null) return el("p", "Findings were not checked (" + data.findingsNote + ").", "muted");
    if (!list.length) return el("p", "No policy finding.", "muted");
    var ul = el("ul");
    list.forEach(function (f) { ul.appendChild(el("li", f.id + " " + f.level + " " + f.policy + ": " + f.message)); });
    return ul;
  }
  function certificateBlock(id) {
    var c = data.certificates.filter(function (x) { return x.id === id; })[0];
    var box = el("div");
    if (!c) { box.appendChild(el("p", "No certificate of this stack.", "muted")); return box; }
    box.appendChild(el("h2", "Certificate " + c.id));
    box.appendChild(table(["field", "value"], [
      ["subject", c.subject || "-"], ["issuer", c.issuer], ["issued by", c.issuedBy], ["key", c.key || "-"],
      ["Secret", c.secret || "-"], ["fingerprint", c.fingerprint || "not known (planned, or outside the stack)"],
      ["notBefore", c.notBefore || "-"], ["notAfter", c.notAfter || "-"], ["renewAt", c.renewAt || "-"],
      ["dates", c.datesNote], ["renewal", c.renewal],
      ["flags", "outlives CA: " + c.flags.outlivesCa + ", in renewal window: " + c.flags.inRenewalWindow + ", expired: " + c.flags.expired]
    ]));
    if (c.flags.inRenewalWindow || c.flags.expired || c.flags.outlivesCa) box.appendChild(el("p", "Needs attention: " + (c.flags.expired ? "expired" : c.flags.inRenewalWindow ? "inside its renewal window" : "outlives its CA"), "bad"));
    box.appendChild(findingList(findingsOn("certificate", c.id)));
    return box;
  }
  function edgeRow(e, other) {
    return [other, String(e.port), e.protocol, e.protection, e.clientAuth.tls + (e.clientAuth.mesh !== "none" ? " / mesh " + e.clientAuth.mesh : ""), e.hostnameVerified === null ? "?" : e.hostnameVerified ? "yes" : "NO"];
  }
  function select(kind, id) {
    var nodes = document.querySelectorAll(".node"), edges = document.querySelectorAll(".edge"), rows = document.querySelectorAll(".cert-row");
    Array.prototype.forEach.call(nodes, function (n) { n.classList.toggle("selected", kind === "node" && n.getAttribute("data-node-id") === id); });
    Array.prototype.forEach.call(rows, function (r) { r.classList.toggle("selected", kind === "certificate" && r.getAttribute("data-certificate-id") === id); });
    Array.prototype.forEach.call(edges, function (e) {
      var edge = data.edges.filter(function (x) { return x.id === e.getAttribute("data-edge-id"); })[0];
      var related = kind === "edge" ? e.getAttribute("data-edge-id") === id : kind === "node" && edge && (edge.from === id || edge.to === id);
      e.classList.toggle("related", !!related);
    });
    graphSvg.classList.toggle("dimmed", kind === "node" || kind === "edge");
    panel.textContent = "";
    panel.setAttribute("data-selected", kind + ":" + id);
    if (kind === "node") {
      var n = data.nodes.filter(function (x) { return x.id === id; })[0];
      if (!n) { panel.appendChild(el("h2", id + " (removed)")); return; }
      panel.appendChild(el("h2", n.label + " (" + n.namespace + ")"));
      panel.appendChild(table(["field", "value"], [["kind", n.kind], ["runtime", n.runtime], ["sidecar", n.sidecar ? "yes" : "no"], ["SPIFFE ID", n.spiffeId || "-"], ["ServiceAccount", n.serviceAccount || "-"]]));
      panel.appendChild(el("h2", "Listeners"));
      panel.appendChild(table(["port", "protocol", "client auth", "note"], n.listeners.map(function (l) { return [String(l.port), l.protocol, l.clientAuth, l.note || ""]; })));
      var out = data.edges.filter(function (e) { return e.from === id; }), inc = data.edges.filter(function (e) { return e.to === id; });
      panel.appendChild(el("h2", "Calls out (" + out.length + ")"));
      panel.appendChild(table(["to", "port", "protocol", "protection", "client auth", "host checked"], out.map(function (e) { return edgeRow(e, e.to); })));
      panel.appendChild(el("h2", "Calls in (" + inc.length + ")"));
      panel.appendChild(table(["from", "port", "protocol", "protection", "client auth", "host checked"], inc.map(function (e) { return edgeRow(e, e.from); })));
      n.notes.forEach(function (t) { panel.appendChild(el("p", t, "muted")); });
      panel.appendChild(certificateBlock(n.certificate));
      panel.appendChild(el("h2", "Findings"));
      panel.appendChild(findingList(findingsOn("node", id)));
    } else if (kind === "edge") {
      var e = data.edges.filter(function (x) { return x.id === id; })[0];
      if (!e) { panel.appendChild(el("h2", id + " (removed)")); return; }
      panel.appendChild(el("h2", e.from + " \\u2192 " + e.to + ":" + e.port));
      panel.appendChild(table(["field", "value"], [
        ["protocol", e.protocol], ["url", e.url || "-"], ["via", e.via || "-"], ["protection", e.protection],
        ["client auth", e.clientAuth.tls + ", mesh " + e.clientAuth.mesh], ["hop", e.mesh],
        ["client presents", (e.clientIdentity.subject || e.clientIdentity.note || "-") + (e.clientIdentity.spiffe ? " | " + e.clientIdentity.spiffe : "")],
        ["server presents", (e.serverIdentity.subject || e.serverIdentity.note || "-") + (e.serverIdentity.spiffe ? " | " + e.serverIdentity.spiffe : "")],
        ["server trusts", e.trustedCas.server.map(function (c) { return c.id; }).join(", ") || "-"],
        ["client trusts", e.trustedCas.client.map(function (c) { return c.id; }).join(", ") || "-"],
        ["host name checked", (e.hostnameVerified === null ? "not established" : e.hostnameVerified ? "yes" : "no") + ": " + e.hostnameNote],
        ["source", e.source]
      ]));
      e.notes.forEach(function (t) { panel.appendChild(el("p", t, "muted")); });
      panel.appendChild(el("h2", "Findings"));
      panel.appendChild(findingList(findingsOn("edge", id)));
    } else {
      panel.appendChild(certificateBlock(id));
    }
  }
  function bind(selector, kind, attr) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (x) {
      x.addEventListener("click", function (ev) { ev.stopPropagation(); select(kind, x.getAttribute(attr)); });
      x.addEventListener("keydown", function (ev) { if (ev.key === "Enter") select(kind, x.getAttribute(attr)); });
    });
  }
  bind(".node", "node", "data-node-id");
  bind(".edge", "edge", "data-edge-id");
  bind(".cert-row", "certificate", "data-certificate-id");
})();
`;

/** JSON inside a script element: `<` escaped, so no `</script>` can end it early. */
const inlineJson = (v: unknown): string => JSON.stringify(v).replace(/</g, "\\u003c");

export function renderHtml(g: TrustGraph, scene: Scene, layout: Layout): string {
    const width = Math.ceil(layout.width + 8);
    const height = Math.ceil(layout.height + 8);
    const timeline = renderTimeline(g, "t-");
    const legend = renderLegend(scene, 1100);
    const findings =
        g.findings === null
            ? `<p>Findings were not checked: ${escapeXml(g.findingsNote)}</p>`
            : g.findings.length === 0
              ? "<p>No policy finding.</p>"
              : `<ul>${g.findings.map((f) => `<li><b>${escapeXml(f.id)}</b> ${escapeXml(f.level)} <code>${escapeXml(f.policy)}</code> (${escapeXml(f.resource)}): ${escapeXml(f.message)}</li>`).join("")}</ul>`;
    const diff = g.diff
        ? `<section class="wide" id="diff"><h2>Against ${escapeXml(g.diff.against.name)}</h2><ul>${g.diff.edges.map((d) => `<li><b>${escapeXml(d.change)}</b> ${escapeXml(d.id)}: ${escapeXml(d.reasons.join("; "))}</li>`).join("")}</ul></section>`
        : "";
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        // An inline icon, so the browser asks the network for no favicon either.
        '<link rel="icon" href="data:,">',
        `<title>${escapeXml(`Trust graph: ${g.stack.project}/${g.stack.name}`)}</title>`,
        `<style>${STYLE}</style></head><body>`,
        `<header><h1>${escapeXml(`Trust graph: ${headline(g)}`)}</h1>`,
        `<p>${escapeXml(`${g.nodes.length} workloads, ${g.edges.length} calls, ${g.certificates.length} certificates; --now ${g.stack.now}; source ${g.stack.source}`)}</p>`,
        ...g.notes.map((n) => `<p>${escapeXml(n)}</p>`),
        "<p>Click a workload, a call or a certificate for its details.</p></header>",
        '<div id="layout">',
        `<section id="graph"><svg id="graph-svg" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="-4 -4 ${width} ${height}" font-family="DejaVu Sans, Verdana, Arial, sans-serif">${renderGraphBody(scene, layout, "g-")}</svg></section>`,
        '<aside id="details" aria-live="polite"><h2>Nothing selected</h2><p>Click a workload to see the calls it makes and takes, its certificate and its findings.</p></aside>',
        "</div>",
        `<section class="wide" id="legend"><svg xmlns="http://www.w3.org/2000/svg" width="1100" height="${legend.height}" font-family="DejaVu Sans, Verdana, Arial, sans-serif">${legend.svg}</svg></section>`,
        diff,
        `<section class="wide" id="timeline"><svg id="timeline-svg" xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(timeline.width)}" height="${Math.ceil(timeline.height)}">${timeline.svg}</svg></section>`,
        `<section class="wide" id="findings"><h2>Findings</h2>${findings}</section>`,
        `<script type="application/json" id="trust-graph-data">${inlineJson(g)}</script>`,
        `<script>${SCRIPT}</script>`,
        "</body></html>",
        "",
    ].join("\n");
}
