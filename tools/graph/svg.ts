// The picture as SVG: the laid-out graph (namespaces as boxes around their
// workloads, edges styled by what protects them, badges for findings and
// certificates due for renewal), its legend, and the certificate timeline.
// Every coordinate comes from ELK (layout.ts) or the timeline's scale.
import { Layout, Scene, SceneEdge, SceneNode } from "./layout";
import { TrustGraph } from "./schema";
import { CHANGE_STYLE, FONT, LineStyle, MESH_CASING, NODE_FILL, PROTECTION_LEGEND, PROTECTION_STYLE, escapeXml, num } from "./style";
import { renderTimeline } from "./timeline";

const MARGIN = 16;

function edgeStyle(e: SceneEdge, diff: boolean): LineStyle & { opacity: number; key: string } {
    if (diff && e.status !== "same") return { ...CHANGE_STYLE[e.status], opacity: 1, key: `change-${e.status}` };
    return { ...PROTECTION_STYLE[e.protection], opacity: diff ? 0.35 : 1, key: e.protection };
}

function markers(prefix: string): string {
    const styles: [string, string][] = [...PROTECTION_LEGEND.map((p) => [p.key, p.style.color] as [string, string]), ...Object.entries(CHANGE_STYLE).map(([k, s]) => [`change-${k}`, s.color] as [string, string])];
    return styles
        .map(([key, color]) => `<marker id="${prefix}arrow-${key}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="${color}"/></marker>`)
        .join("");
}

const path = (points: readonly { x: number; y: number }[]): string => points.map((p, i) => `${i ? "L" : "M"}${num(p.x)} ${num(p.y)}`).join(" ");

function nodeMarkup(n: SceneNode, box: { x: number; y: number; width: number; height: number }, diff: boolean): string {
    const stroke = diff && n.status === "added" ? CHANGE_STYLE.added.color : diff && n.status === "removed" ? CHANGE_STYLE.removed.color : "#374151";
    const dash = n.status === "removed" ? ' stroke-dasharray="5 3"' : "";
    const parts = [
        `<g class="node" data-node-id="${escapeXml(n.id)}" tabindex="0" role="button" aria-label="${escapeXml(`${n.label}: ${n.detail}`)}">`,
        `<title>${escapeXml(`${n.label} (${n.namespace}): ${n.detail}${n.findings ? `; ${n.findings} finding(s)` : ""}${n.renewDue ? "; certificate due for renewal" : ""}`)}</title>`,
        `<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.width)}" height="${num(box.height)}" rx="6" fill="${NODE_FILL[n.kind] ?? "#fff"}" stroke="${stroke}" stroke-width="${n.status === "same" ? 1.2 : 2.4}"${dash}/>`,
        `<text x="${num(box.x + box.width / 2)}" y="${num(box.y + 19)}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(n.label)}</text>`,
        `<text x="${num(box.x + box.width / 2)}" y="${num(box.y + 35)}" text-anchor="middle" font-size="10" fill="#4b5563">${escapeXml(n.detail)}</text>`,
    ];
    let bx = box.x + box.width - 2;
    if (n.findings) {
        parts.push(`<g class="badge findings-badge"><circle cx="${num(bx)}" cy="${num(box.y + 2)}" r="9" fill="${n.mandatory ? "#dc2626" : "#f59e0b"}"/><text x="${num(bx)}" y="${num(box.y + 6)}" text-anchor="middle" font-size="11" font-weight="bold" fill="#fff">${n.findings}</text></g>`);
        bx -= 22;
    }
    if (n.renewDue) parts.push(`<g class="badge renew-badge"><rect x="${num(bx - 20)}" y="${num(box.y - 6)}" width="40" height="14" rx="3" fill="#dc2626"/><text x="${num(bx)}" y="${num(box.y + 5)}" text-anchor="middle" font-size="9" fill="#fff">renew</text></g>`);
    if (diff && n.status !== "same") parts.push(`<text x="${num(box.x + 4)}" y="${num(box.y - 4)}" font-size="10" fill="${stroke}">${n.status}</text>`);
    parts.push("</g>");
    return parts.join("");
}

/** The graph part alone (used by the SVG document and the HTML page); `prefix` keeps ids unique in a page. */
export function renderGraphBody(scene: Scene, layout: Layout, prefix = ""): string {
    const out: string[] = [`<defs>${markers(prefix)}</defs>`];
    for (const ns of scene.namespaces) {
        const b = layout.namespaces.get(ns);
        if (!b) continue;
        out.push(`<g class="namespace" data-namespace="${escapeXml(ns)}"><rect x="${num(b.x)}" y="${num(b.y)}" width="${num(b.width)}" height="${num(b.height)}" rx="10" fill="#f9fafb" stroke="#9ca3af" stroke-dasharray="3 3"/>`);
        out.push(`<text x="${num(b.x + 10)}" y="${num(b.y + 20)}" font-size="12" fill="#374151">namespace ${escapeXml(ns)}</text></g>`);
    }
    const casings: string[] = [];
    const lines: string[] = [];
    for (const e of scene.edges) {
        const route = layout.edges.get(e.id);
        if (!route) continue;
        const s = edgeStyle(e, scene.diff);
        const d = path(route);
        if (e.meshed && e.status !== "removed") casings.push(`<path d="${d}" fill="none" stroke="${MESH_CASING.color}" stroke-width="${MESH_CASING.width}" stroke-linejoin="round" opacity="${s.opacity}"/>`);
        lines.push(
            `<g class="edge" data-edge-id="${escapeXml(e.id)}" data-protection="${e.protection}" data-status="${e.status}"><title>${escapeXml(e.title)}${e.status !== "same" ? ` (${e.status})` : ""}</title>` +
                `<path d="${d}" fill="none" stroke="transparent" stroke-width="9"/>` +
                `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} stroke-linejoin="round" opacity="${s.opacity}" marker-end="url(#${prefix}arrow-${s.key})"/></g>`,
        );
    }
    out.push(`<g class="mesh-casings">${casings.join("")}</g><g class="edges">${lines.join("")}</g>`);
    out.push(`<g class="nodes">${scene.nodes.map((n) => (layout.nodes.get(n.id) ? nodeMarkup(n, layout.nodes.get(n.id)!, scene.diff) : "")).join("")}</g>`);
    return out.join("");
}

/** The legend, laid out as rows; returns its markup and height. */
export function renderLegend(scene: Scene, width: number): { svg: string; height: number } {
    const rows: string[] = [];
    let y = 14;
    const line = (x: number, yy: number, s: LineStyle) =>
        `<line x1="${num(x)}" y1="${num(yy)}" x2="${num(x + 34)}" y2="${num(yy)}" stroke="${s.color}" stroke-width="${s.width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`;
    const columnWidth = Math.ceil(Math.max(...PROTECTION_LEGEND.map((p) => p.label.length), 58) * 6.4 + 50);
    const columns = Math.max(1, Math.floor(width / columnWidth));
    const items: [LineStyle | "casing" | "badge", string][] = [
        ...PROTECTION_LEGEND.map((p) => [p.style, p.label] as [LineStyle, string]),
        ["casing", "carried by an Istio sidecar or the gateway (mesh mTLS)"],
        ["badge", "policy findings on the workload (red: mandatory)"],
    ];
    if (scene.diff) for (const s of Object.values(CHANGE_STYLE)) items.push([s, `diff: ${s.label}`]);
    rows.push(`<text x="0" y="${num(y)}" font-size="12" font-weight="bold">Legend</text>`);
    y += 10;
    items.forEach(([s, label], i) => {
        const x = (i % columns) * columnWidth;
        const yy = y + Math.floor(i / columns) * 18 + 8;
        if (s === "casing") rows.push(`<line x1="${num(x)}" y1="${num(yy)}" x2="${num(x + 34)}" y2="${num(yy)}" stroke="${MESH_CASING.color}" stroke-width="${MESH_CASING.width}"/>${line(x, yy, PROTECTION_STYLE["mtls-need"])}`);
        else if (s === "badge") rows.push(`<circle cx="${num(x + 17)}" cy="${num(yy)}" r="7" fill="#f59e0b"/>`);
        else rows.push(line(x, yy, s));
        rows.push(`<text x="${num(x + 42)}" y="${num(yy + 4)}" font-size="11">${escapeXml(label)}</text>`);
    });
    const height = y + Math.ceil(items.length / columns) * 18 + 8;
    return { svg: `<g class="legend">${rows.join("")}</g>`, height };
}

export function headline(g: TrustGraph): string {
    const d = g.diff;
    const base = `${g.stack.project} / ${g.stack.name} (${g.stack.basis}, namespace ${g.stack.namespace}, clientAuth ${g.stack.clientAuth}, certificates by ${g.stack.certificateBackend})`;
    return d ? `${base} against ${d.against.name} (${d.against.basis})` : base;
}

/** The whole picture: title, graph, legend, timeline, one standalone SVG document. */
export function renderSvgDocument(g: TrustGraph, scene: Scene, layout: Layout): string {
    const timeline = renderTimeline(g);
    const width = Math.ceil(Math.max(layout.width, timeline.width, 700) + 2 * MARGIN);
    const legend = renderLegend(scene, width - 2 * MARGIN);
    const titleHeight = 44;
    const graphTop = titleHeight;
    const legendTop = graphTop + layout.height + 16;
    const timelineTop = legendTop + legend.height + 20;
    const height = Math.ceil(timelineTop + timeline.height + MARGIN);
    const summary = `${g.nodes.length} workloads, ${g.edges.length} calls, ${g.certificates.length} certificates, ${g.findings === null ? "findings not checked" : `${g.findings.length} finding(s)`}`;
    return [
        `<?xml version="1.0" encoding="UTF-8"?>\n`,
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
        `<title>${escapeXml(`Trust graph: ${headline(g)}`)}</title>`,
        `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
        `<g transform="translate(${MARGIN} 0)"><text x="0" y="20" font-size="15" font-weight="bold">${escapeXml(`Trust graph: ${headline(g)}`)}</text>`,
        `<text x="0" y="36" font-size="11" fill="#4b5563">${escapeXml(`${summary}; --now ${g.stack.now}`)}</text></g>`,
        `<g transform="translate(${MARGIN} ${graphTop})">${renderGraphBody(scene, layout)}</g>`,
        `<g transform="translate(${MARGIN} ${legendTop})">${legend.svg}</g>`,
        `<g transform="translate(${MARGIN} ${timelineTop})">${timeline.svg}</g>`,
        `</svg>\n`,
    ].join("");
}
