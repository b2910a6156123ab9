import { describe, expect, it } from 'vitest';
import { escapeXml, niceTicks, renderPlot } from '../../../../bench/lib/svg-plot.ts';

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten up to at least the maximum', () => {
    expect(niceTicks(1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(niceTicks(37)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('gives a unit axis when there is nothing to show', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
  });
});

describe('renderPlot', () => {
  const svg = renderPlot({
    title: 'Time <by> tenants',
    xLabel: 'tenants',
    yLabel: 'seconds',
    width: 400,
    height: 300,
    series: [
      {
        label: 'measured',
        color: '#111',
        line: true,
        points: [
          { x: 0, y: 0 },
          { x: 1000, y: 100 },
        ],
      },
      {
        label: 'fit',
        color: '#222',
        line: true,
        dashed: true,
        markers: false,
        points: [
          { x: 0, y: 0 },
          { x: 1000, y: 50 },
        ],
      },
    ],
  });

  it('is a standalone SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Time &lt;by&gt; tenants');
  });

  it('maps the data onto the plot area: origin bottom left, maximum top right', () => {
    // Plot area: x 70..380, y 40..245 (margins 70/20/40/55).
    expect(svg).toContain('<circle cx="70" cy="245" r="4" fill="#111"/>');
    expect(svg).toContain('<circle cx="380" cy="40" r="4" fill="#111"/>');
  });

  it('draws markers only where asked and dashes the dashed series', () => {
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('stroke="#222" stroke-width="2" stroke-dasharray="6 4"');
  });
});

describe('escapeXml', () => {
  it('escapes markup and quotes', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
  });
});
