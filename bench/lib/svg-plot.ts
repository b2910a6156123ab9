/**
 * A small SVG chart, written by hand so the benchmarks need no plotting dependency: measured
 * points, an optional fitted line and an optional ideal line, on linear axes with ticks.
 */
import type { Point } from './stats.ts';

export interface PlotSeries {
  readonly label: string;
  readonly points: readonly Point[];
  readonly color: string;
  /** Draw the points joined by a line (default: markers only). */
  readonly line?: boolean;
  readonly dashed?: boolean;
  /** Draw markers (default true). */
  readonly markers?: boolean;
}

export interface PlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PlotSeries[];
  readonly width?: number;
  readonly height?: number;
}

const margin = { left: 70, right: 20, top: 40, bottom: 55 } as const;

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About five round tick values (1, 2 or 5 times a power of ten) from 0 to at least `max`. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = 0; value < max + step; value += step) {
    ticks.push(Number(value.toPrecision(12)));
    if (value >= max) break;
  }
  return ticks;
}

function formatTick(value: number): string {
  return Math.abs(value) >= 1000 ? value.toLocaleString('en-US') : String(value);
}

/** The chart as a standalone SVG document. */
export function renderPlot(options: PlotOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const all = options.series.flatMap((series) => series.points);
  const xTicks = niceTicks(Math.max(1, ...all.map((point) => point.x)));
  const yTicks = niceTicks(Math.max(Number.MIN_VALUE, ...all.map((point) => point.y)));
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const sx = (x: number) => margin.left + (x / xMax) * plotWidth;
  const sy = (y: number) => margin.top + plotHeight - (y / yMax) * plotHeight;
  const round = (value: number) => Number(value.toFixed(1));

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (const tick of xTicks) {
    const x = round(sx(tick));
    parts.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotHeight}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of yTicks) {
    const y = round(sy(tick));
    parts.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotWidth}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${y + 4}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${margin.left + plotWidth}" y2="${margin.top + plotHeight}" stroke="black"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="black"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  options.series.forEach((series, index) => {
    const points = series.points.map((point) => `${round(sx(point.x))},${round(sy(point.y))}`);
    if (series.line && points.length > 1) {
      const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
      parts.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`,
      );
    }
    if (series.markers ?? true) {
      for (const point of points) {
        const [cx, cy] = point.split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="${series.color}"/>`);
      }
    }
    const legendY = margin.top + 14 + index * 18;
    parts.push(`<rect x="${margin.left + 12}" y="${legendY - 9}" width="12" height="12" fill="${series.color}"/>`);
    parts.push(`<text x="${margin.left + 30}" y="${legendY + 1}">${escapeXml(series.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
