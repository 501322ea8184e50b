/** Attacks over time as an inline SVG bar chart (no chart library, nothing for CSP to block). */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clock, dateTime, num, zone } from '../format.js';

interface ChartProps {
  series: Array<{ at: number; attacks: number }>;
  bucketSeconds: number;
  label: string;
}

const H = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 40 };

function niceMax(v: number): number {
  if (v <= 4) return 4;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= v) return m * mag;
  return 10 * mag;
}

/** The chart is drawn at its real pixel width, so text stays readable on a phone. */
function useWidth(): [RefObject<HTMLElement | null>, number] {
  const ref = useRef<HTMLElement>(null);
  const [w, setW] = useState(720);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(Math.max(260, Math.round(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}

export function AttackChart({ series, bucketSeconds, label }: ChartProps) {
  const [ref, W] = useWidth();
  const total = series.reduce((s, b) => s + b.attacks, 0);
  const peak = series.reduce((m, b) => (b.attacks > m.attacks ? b : m), { at: 0, attacks: 0 });
  const max = niceMax(peak.attacks);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = innerW / Math.max(1, series.length);
  const barW = Math.max(1, slot * 0.72);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const daily = bucketSeconds >= 86400;
  const fmt = (t: number) =>
    daily ? new Date(t * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : clock(t);
  const tickEvery = Math.max(1, Math.ceil(series.length / Math.max(2, Math.floor(W / 80))));
  const summary =
    total === 0
      ? `No attacks in the ${label}.`
      : `${num(total)} attacks in the ${label}; busiest: ${num(peak.attacks)} starting ${dateTime(peak.at)}.`;

  return (
    <figure class="chart" ref={ref}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={summary}>
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <g key={f}>
            <line class="chart-grid" x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text class="chart-axis" x={PAD.left - 6} y={y(max * f) + 4} text-anchor="end">
              {num(max * f)}
            </text>
          </g>
        ))}
        {series.map((b, i) => {
          const h = PAD.top + innerH - y(b.attacks);
          return (
            <rect
              key={b.at}
              class="chart-bar"
              x={PAD.left + i * slot + (slot - barW) / 2}
              y={y(b.attacks)}
              width={barW}
              height={Math.max(0, h)}
              rx={Math.min(3, barW / 3)}
            >
              <title>{`${dateTime(b.at)}: ${num(b.attacks)} attack${b.attacks === 1 ? '' : 's'}`}</title>
            </rect>
          );
        })}
        {series.map((b, i) =>
          i % tickEvery === 0 ? (
            <text
              key={`t${b.at}`}
              class="chart-axis"
              x={PAD.left + i * slot + slot / 2}
              y={H - 8}
              text-anchor="middle"
            >
              {fmt(b.at)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption>
        {summary} Times are local ({zone(series[0]?.at ?? Date.now() / 1000)}).
      </figcaption>
    </figure>
  );
}
