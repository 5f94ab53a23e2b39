// The certificates against time: one bar per certificate from notBefore to
// notAfter, a mark at renewAt, a line for "today" (--now) and one for the
// CA's expiry. A CA lives years and a leaf weeks, so when the CA's end lies
// far beyond every leaf's the axis is broken: the leaves get a linear scale,
// and a short second scale past the break carries the CA's end.
//
// A certificate whose dates are not known (cert-manager before it issued,
// the Otterize operator) gets no invented bar: an outline of its validity
// from --now, hatched and labelled as such, or only text when even its
// validity is unknown.
import { Certificate, TrustGraph } from "./schema";
import { FONT, escapeXml, num } from "./style";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LABEL_WIDTH = 210;
const MAIN_WIDTH = 600;
const BREAK_GAP = 26;
const FAR_WIDTH = 130;
const ROW = 22;
const TOP = 58;

export interface Timeline {
    readonly svg: string;
    readonly width: number;
    readonly height: number;
}

interface Span {
    readonly start: number;
    readonly end: number;
    readonly planned: boolean;
}

function spanOf(c: Certificate, now: number): Span | undefined {
    if (c.notBefore && c.notAfter) return { start: Date.parse(c.notBefore), end: Date.parse(c.notAfter), planned: false };
    if (c.validityHours) return { start: now, end: now + c.validityHours * HOUR, planned: true };
    return undefined;
}

const day = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** A scale that maps time to x, with a break when `far` lies well beyond `mainEnd`. */
function scaleOf(start: number, mainEnd: number, far: number | undefined) {
    const broken = far !== undefined && far > mainEnd + (mainEnd - start) * 1.5;
    const mainSpan = mainEnd - start;
    const farStart = mainEnd;
    const farEnd = broken ? far! + (far! - farStart) * 0.04 : mainEnd;
    const x = (t: number): number => {
        if (!broken || t <= farStart) return LABEL_WIDTH + ((Math.min(t, broken ? farStart : Infinity) - start) / mainSpan) * MAIN_WIDTH;
        return LABEL_WIDTH + MAIN_WIDTH + BREAK_GAP + ((t - farStart) / (farEnd - farStart)) * FAR_WIDTH;
    };
    return { x, broken, farStart, farEnd, width: LABEL_WIDTH + MAIN_WIDTH + (broken ? BREAK_GAP + FAR_WIDTH : 0) + 20 };
}

function ticks(start: number, end: number): number[] {
    const span = end - start;
    const steps = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY, 730 * DAY, 1826 * DAY];
    const step = steps.find((s) => span / s <= 8) ?? steps[steps.length - 1];
    const first = Math.ceil(start / DAY) * DAY;
    const out: number[] = [];
    for (let t = first; t <= end; t += step) out.push(t);
    return out;
}

export function renderTimeline(g: TrustGraph, idPrefix = ""): Timeline {
    const now = Date.parse(g.stack.now);
    const certs = [...g.certificates].sort((a, b) => {
        if (a.kind !== b.kind) return a.kind === "ca" ? -1 : 1;
        const ea = a.notAfter ? Date.parse(a.notAfter) : Infinity;
        const eb = b.notAfter ? Date.parse(b.notAfter) : Infinity;
        return ea !== eb ? ea - eb : a.id < b.id ? -1 : 1;
    });
    const spans = new Map(certs.map((c) => [c.id, spanOf(c, now)]));
    const leafSpans = certs.filter((c) => c.kind === "leaf").map((c) => spans.get(c.id)).filter((s): s is Span => !!s);
    const caSpans = certs.filter((c) => c.kind === "ca").map((c) => spans.get(c.id)).filter((s): s is Span => !!s);
    const all = [...leafSpans, ...caSpans];
    const start0 = Math.min(now, ...all.map((s) => s.start));
    const leafEnd = leafSpans.length ? Math.max(now, ...leafSpans.map((s) => s.end)) : Math.max(now + 30 * DAY, ...caSpans.map((s) => s.end));
    const pad = (leafEnd - start0) * 0.04 || DAY;
    const start = start0 - pad;
    const mainEnd = leafEnd + pad;
    const farthest = Math.max(...all.map((s) => s.end), mainEnd);
    const scale = scaleOf(start, mainEnd, farthest > mainEnd ? farthest : undefined);
    const height = TOP + certs.length * ROW + 46;
    const parts: string[] = [];
    const t = (x: number, y: number, text: string, extra = "") => `<text x="${num(x)}" y="${num(y)}"${extra}>${escapeXml(text)}</text>`;

    parts.push(t(0, 16, `Certificates of ${g.stack.name} against ${day(now)} (--now ${g.stack.now})`, ' font-size="14" font-weight="bold"'));
    parts.push(t(0, 32, g.stack.basis === "planned" ? "Planned: dates are those of a pulumi up at --now; cert-manager dates exist only once it has issued." : "From the state: the dates the certificates carry.", ' font-size="11" fill="#4b5563"'));
    // Axis and ticks.
    const axisY = TOP - 6;
    const mainTicks = ticks(start, scale.broken ? scale.farStart : mainEnd);
    for (const tick of mainTicks) {
        const x = scale.x(tick);
        parts.push(`<line x1="${num(x)}" y1="${num(axisY)}" x2="${num(x)}" y2="${num(TOP + certs.length * ROW)}" stroke="#e5e7eb"/>`);
        parts.push(t(x, axisY - 4, day(tick), ' font-size="9" text-anchor="middle" fill="#6b7280"'));
    }
    if (scale.broken) {
        const bx = LABEL_WIDTH + MAIN_WIDTH + BREAK_GAP / 2;
        parts.push(`<path d="M${num(bx - 5)} ${num(axisY - 2)} l5 6 l-5 6 l5 6" stroke="#6b7280" fill="none"/>`);
        parts.push(t(bx, height - 30, "axis break", ' font-size="9" text-anchor="middle" fill="#6b7280"'));
        parts.push(t(LABEL_WIDTH + MAIN_WIDTH + BREAK_GAP + FAR_WIDTH / 2, axisY - 4, `to ${day(scale.farEnd).slice(0, 4)}`, ' font-size="9" text-anchor="middle" fill="#6b7280"'));
    }
    // Rows.
    certs.forEach((c, i) => {
        const y = TOP + i * ROW;
        const s = spans.get(c.id);
        parts.push(`<g class="cert-row" data-certificate-id="${escapeXml(c.id)}" id="${idPrefix}cert-${escapeXml(c.id)}">`);
        parts.push(`<title>${escapeXml(`${c.id}: ${c.notBefore ?? "?"} .. ${c.notAfter ?? "?"}, renewAt ${c.renewAt ?? "?"}; ${c.datesNote}`)}</title>`);
        parts.push(t(4, y + 15, `${c.id}${c.kind === "ca" ? " (CA)" : ""}`, ` font-size="11"${c.kind === "ca" ? ' font-weight="bold"' : ""}`));
        if (!s) {
            parts.push(t(LABEL_WIDTH + 4, y + 15, `dates unknown: ${c.datesNote}`, ' font-size="10" fill="#6b7280"'));
            parts.push("</g>");
            return;
        }
        const x1 = scale.x(s.start);
        const x2 = scale.x(s.end);
        const fill = c.kind === "ca" ? "#c4b5fd" : c.flags.expired ? "#fca5a5" : c.flags.inRenewalWindow ? "#fcd34d" : "#86efac";
        if (s.planned) {
            parts.push(`<rect x="${num(x1)}" y="${num(y + 4)}" width="${num(Math.max(2, x2 - x1))}" height="14" fill="url(#${idPrefix}hatch)" stroke="#6b7280" stroke-dasharray="4 3"/>`);
            parts.push(t(x1 + 4, y + 15, `not issued yet: ${c.validityHours} h, shown from --now`, ' font-size="9" fill="#374151"'));
        } else {
            parts.push(`<rect x="${num(x1)}" y="${num(y + 4)}" width="${num(Math.max(2, x2 - x1))}" height="14" rx="2" fill="${fill}" stroke="#374151" stroke-width="0.6"/>`);
        }
        const renew = c.renewAt ? Date.parse(c.renewAt) : s.planned && c.renewBeforeHours !== null ? s.end - c.renewBeforeHours * HOUR : undefined;
        if (renew !== undefined) {
            const rx = scale.x(renew);
            parts.push(`<path class="renew-mark" d="M${num(rx)} ${num(y + 2)} l4 9 l-4 9 l-4 -9 z" fill="#111827"><title>${escapeXml(`${c.id} renews at ${new Date(renew).toISOString()}`)}</title></path>`);
        }
        parts.push("</g>");
    });
    // Today, and each CA's end.
    const bottom = TOP + certs.length * ROW;
    const nx = scale.x(now);
    parts.push(`<line x1="${num(nx)}" y1="${num(axisY)}" x2="${num(nx)}" y2="${num(bottom + 6)}" stroke="#dc2626" stroke-width="1.5"/>`);
    parts.push(t(nx, bottom + 18, `today ${day(now)}`, ' font-size="10" text-anchor="middle" fill="#dc2626"'));
    // CAs ending the same day (a root and its issuing CA) share one line and one label.
    const expiries = new Map<string, { at: number; ids: string[] }>();
    for (const ca of certs.filter((c) => c.kind === "ca" && c.notAfter)) {
        const at = Date.parse(ca.notAfter!);
        const e = expiries.get(day(at)) ?? { at, ids: [] };
        e.ids.push(ca.id);
        expiries.set(day(at), e);
    }
    for (const [end, { at, ids }] of expiries) {
        const cx = scale.x(at);
        parts.push(`<line class="ca-expiry" x1="${num(cx)}" y1="${num(axisY)}" x2="${num(cx)}" y2="${num(bottom + 6)}" stroke="#6d28d9" stroke-width="1.5" stroke-dasharray="4 3"/>`);
        parts.push(t(cx, bottom + 32, `${ids.join(", ")} ${ids.length > 1 ? "expire" : "expires"} ${end}`, ' font-size="10" text-anchor="end" fill="#6d28d9"'));
    }
    const defs = `<defs><pattern id="${idPrefix}hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f4f6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d1d5db" stroke-width="2"/></pattern></defs>`;
    const svg = `<g class="timeline" font-family="${FONT}">${defs}${parts.join("")}</g>`;
    return { svg, width: scale.width, height };
}
