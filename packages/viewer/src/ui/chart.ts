// Time-series charts on uPlot (a ~50 KB canvas library made for exactly this: many small line
// charts that draw in milliseconds). Colours and text follow the page's theme; a click on a chart
// reports the step under the cursor, which is how a point leads to its exemplar traces.
import uPlot from 'uplot';

export interface Line {
  label: string;
  values: Array<number | null>;
  color?: string;
}

export interface ChartOptions {
  title: string;
  /** Step starts, epoch milliseconds. */
  times: number[];
  lines: Line[];
  format: (value: number) => string;
  onPick?: (step: number) => void;
  width?: number;
}

const PALETTE = ['#2458d6', '#d97706', '#c4281c', '#0f9d58', '#8e44ad', '#00838f', '#6d4c41'];

function themeColor(variable: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(variable).trim() || fallback;
}

export function timeChart(options: ChartOptions): { element: HTMLElement; destroy(): void } {
  const element = document.createElement('figure');
  element.className = 'chart';
  const text = themeColor('--fg', '#1b1f24');
  const grid = themeColor('--line', '#d8dde3');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const plot = new uPlot(
    {
      title: options.title,
      width: options.width ?? 340,
      height: 170,
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        {},
        ...options.lines.map((line, i) => ({
          label: line.label,
          stroke: line.color ?? PALETTE[i % PALETTE.length]!,
          width: 1.5,
          spanGaps: false,
          points: { show: true, size: 4 },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : options.format(v)),
        })),
      ],
      axes: [axis, { ...axis, size: 72, values: (_u: uPlot, ticks: number[]) => ticks.map((v) => options.format(v)) }],
    },
    [options.times.map((t) => t / 1000), ...options.lines.map((l) => l.values)] as uPlot.AlignedData,
    element,
  );
  if (options.onPick) {
    plot.over.style.cursor = 'pointer';
    plot.over.addEventListener('click', () => {
      const step = plot.cursor.idx;
      if (step !== null && step !== undefined) options.onPick!(step);
    });
  }
  return { element, destroy: () => plot.destroy() };
}
