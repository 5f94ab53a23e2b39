// How the pictures look, shared by SVG, HTML and Mermaid: one colour and dash
// per protection, one colour per change in a diff.
import { EdgeChange, PROTECTIONS, PROTECTION_LABEL, Protection } from "./schema";

export interface LineStyle {
    readonly color: string;
    readonly width: number;
    /** SVG stroke-dasharray; empty for a solid line. */
    readonly dash: string;
}

export const PROTECTION_STYLE: Readonly<Record<Protection, LineStyle>> = {
    "mtls-need": { color: "#15803d", width: 2.2, dash: "" },
    "mesh-mtls": { color: "#2563eb", width: 2, dash: "8 3" },
    "mtls-want": { color: "#d97706", width: 2, dash: "5 4" },
    tls: { color: "#7c3aed", width: 1.6, dash: "2 3" },
    plain: { color: "#dc2626", width: 1.8, dash: "1 4" },
};

/** The light casing under an edge a sidecar or the gateway carries. */
export const MESH_CASING = { color: "#bfdbfe", width: 7 };

export const CHANGE_STYLE: Readonly<Record<EdgeChange, LineStyle & { label: string }>> = {
    added: { color: "#0891b2", width: 2.6, dash: "", label: "added" },
    removed: { color: "#9ca3af", width: 2, dash: "6 4", label: "removed" },
    weakened: { color: "#dc2626", width: 3.4, dash: "", label: "weakened" },
    strengthened: { color: "#16a34a", width: 2.6, dash: "", label: "strengthened" },
    changed: { color: "#6b7280", width: 2.2, dash: "", label: "changed (neither weaker nor stronger)" },
};

export const PROTECTION_LEGEND: readonly { key: Protection; label: string; style: LineStyle }[] = PROTECTIONS.map((key) => ({ key, label: PROTECTION_LABEL[key], style: PROTECTION_STYLE[key] }));

export const NODE_FILL: Readonly<Record<string, string>> = {
    "spinnaker-service": "#ffffff",
    redis: "#fef3c7",
    "redis-replica": "#fef9e7",
    "ingress-gateway": "#e0e7ff",
};

export const FONT = "DejaVu Sans, Verdana, Arial, sans-serif";

export function escapeXml(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A coordinate as text: one decimal at most, so the bytes never depend on float noise. */
export const num = (n: number): string => {
    const r = Math.round(n * 10) / 10;
    return Object.is(r, -0) ? "0" : String(r);
};
