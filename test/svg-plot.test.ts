import { describe, expect, it } from 'vitest';

import { escapeXml, formatNumber, renderLinePlot } from '../src/report/svg-plot.js';

describe('renderLinePlot', () => {
  it('draws a log-log plot with decade ticks, a legend and escaped labels', () => {
    const svg = renderLinePlot({
      title: 'gradcheck <W2>',
      xLabel: 'N',
      yLabel: 'max diff',
      xScale: 'log',
      yScale: 'log',
      series: [
        { name: 'diff', points: [[100, 1e-4], [1000, 1e-6], [100000, 1e-10], [10, 0]] },
        { name: 'guide', points: [[100, 1e-4], [100000, 1e-10]], dashed: true },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('gradcheck &lt;W2&gt;');
    // x decades 1e2..1e5, y decades 1e-10..1e-4
    for (const power of [2, 3, 5, -10, -4]) expect(svg).toContain(`>10<tspan dy="-6" font-size="9">${power}</tspan>`);
    // The zero y value cannot be shown on a log axis: 3 markers, not 4.
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray');
    // Points are in the frame: the largest x at the right edge, the smallest y at the bottom.
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(circles[2]![0]).toBeCloseTo(640 - 24, 1);
    expect(circles[2]![1]).toBeCloseTo(420 - 52, 1);
  });

  it('uses nice linear ticks and survives empty or flat data', () => {
    const svg = renderLinePlot({ series: [{ name: 'acc', points: [[1, 0.91], [2, 0.95], [3, 0.97]] }] });
    expect(svg).toContain('>0.95<');
    expect(svg).toContain('>1.5<');
    expect(renderLinePlot({ series: [] })).toContain('</svg>');
    expect(renderLinePlot({ series: [{ name: 'flat', points: [[1, 2], [2, 2]] }] })).toContain('<polyline');
  });

  it('formats numbers compactly and escapes XML', () => {
    expect(formatNumber(0.00012346)).toBe('1.235e-4');
    expect(formatNumber(0.25)).toBe('0.25');
    expect(formatNumber(123456)).toBe('1.235e5');
    expect(escapeXml(`a<b & "c"`)).toBe('a&lt;b &amp; &quot;c&quot;');
  });
});
