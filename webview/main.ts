/**
 * The curve panel's browser side: receives snapshots from the host, asks view-model.ts what to draw,
 * and draws it with chart.js. Log-derived text only ever reaches the page through `textContent`.
 */
import {
  Chart,
  Decimation,
  Interaction,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type InteractionItem,
  type InteractionModeFunction,
  type ChartDataset,
  type LegendItem,
} from 'chart.js';
import { color as parseColor, getRelativePosition } from 'chart.js/helpers';
import annotationPlugin, { type AnnotationOptions } from 'chartjs-plugin-annotation';
import zoomPlugin from 'chartjs-plugin-zoom';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { X_AXES, applyAppend, parseHostMessage, type HighlightTarget, type HostMessage, type RunData, type WebviewMessage, type XAxis } from '../src/protocol/messages';
import {
  AXIS_TITLES,
  DEFAULT_SMOOTHING,
  formatAxisValue,
  timeTicks,
  MAX_SMOOTHING,
  buildOverlayView,
  buildRunView,
  chartTable,
  toCsv,
  chooseRun,
  overlayRuns,
  clampSmoothing,
  formatValue,
  markerPlace,
  markerTooltip,
  codePlace,
  highlightedKeys,
  markerLook,
  labelRows,
  nearestOfEachSeries,
  type ChartSpec,
  type ColorVar,
  type MarkerSpec,
  type Point,
  type RunView,
  type SelectionState,
  type ViewOptions,
} from './view-model';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Decimation, zoomPlugin, annotationPlugin);

declare module 'chart.js' {
  interface InteractionModeMap {
    eachSeries: InteractionModeFunction;
  }
}

/** Hover: the nearest point of every visible series at the pointer's x, whatever grid each was logged on. */
Interaction.modes.eachSeries = (chart, event) => {
  const position = getRelativePosition(event, chart);
  const area = chart.chartArea;
  if (position.x < area.left || position.x > area.right || position.y < area.top || position.y > area.bottom) return [];
  const metas = chart.getSortedVisibleDatasetMetas();
  const hits = nearestOfEachSeries(metas.map((meta) => meta.data.map((point) => point.x)), position.x);
  return hits.map(([m, index]): InteractionItem => ({ element: metas[m].data[index], datasetIndex: metas[m].index, index }));
};

interface VsCodeApi<State> {
  postMessage(message: WebviewMessage): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

/** What survives the panel being hidden: view state only, the host owns the data. */
interface PanelState extends SelectionState {
  readonly smoothing: number;
  readonly logScale: boolean;
  /** Draw the other runs of the shown run's folder on the same charts. */
  readonly overlay: boolean;
  /** Show each chart's data as a table (for screen readers and exact values). */
  readonly table: boolean;
  /** The x axis chosen in the toolbar; null for each run's default. */
  readonly xAxis: XAxis | null;
}

const vscode = acquireVsCodeApi<PanelState>();
let state: PanelState = readState(vscode.getState());

function readState(value: unknown): PanelState {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const key = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  return {
    selectedKey: key(v.selectedKey),
    hostSelected: key(v.hostSelected),
    smoothing: v.smoothing === undefined ? DEFAULT_SMOOTHING : clampSmoothing(v.smoothing),
    logScale: v.logScale === true,
    overlay: v.overlay === true,
    table: v.table === true,
    xAxis: X_AXES.find((a) => a === v.xAxis) ?? null,
  };
}

function saveState(patch: Partial<PanelState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function viewOptions(): ViewOptions {
  return { yRange: 'robust', smoothing: state.smoothing, logScale: state.logScale, xAxis: state.xAxis ?? undefined };
}

// ---------------------------------------------------------------------------------------------
// Theme: colours are CSS variables VS Code sets on the page; resolved at each draw.

type ThemeKind = 'light' | 'dark' | 'high-contrast';

/** Used when a variable is missing (outside VS Code, or an old theme without chart colours). */
const FALLBACKS: Readonly<Record<'light' | 'dark', Readonly<Record<string, string>>>> = {
  dark: {
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-foreground': '#cccccc',
    '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)',
    '--vscode-editor-background': '#1e1e1e',
  },
  light: {
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-purple': '#652d90',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-foreground': '#616161',
    '--vscode-charts-lines': 'rgba(97, 97, 97, 0.5)',
    '--vscode-editor-background': '#ffffff',
  },
};

interface Theme {
  readonly kind: ThemeKind;
  readonly color: (name: ColorVar) => string;
  readonly foreground: string;
  readonly grid: string;
  readonly background: string;
  readonly fontFamily: string;
  /** Changes whenever anything drawn with the theme would. */
  readonly signature: string;
}

function themeKind(): ThemeKind {
  const classes = document.body.classList;
  if (classes.contains('vscode-high-contrast') || classes.contains('vscode-high-contrast-light')) return 'high-contrast';
  return classes.contains('vscode-light') ? 'light' : 'dark';
}

function readTheme(): Theme {
  const kind = themeKind();
  const style = getComputedStyle(document.body);
  const fallbacks = FALLBACKS[kind === 'light' || document.body.classList.contains('vscode-high-contrast-light') ? 'light' : 'dark'];
  const cache = new Map<string, string>();
  const color = (name: ColorVar): string => {
    let value = cache.get(name);
    if (value === undefined) {
      value = style.getPropertyValue(name).trim() || fallbacks[name] || fallbacks['--vscode-charts-foreground'];
      cache.set(name, value);
    }
    return value;
  };
  const foreground = color('--vscode-charts-foreground');
  const lines = color('--vscode-charts-lines');
  const fontFamily = style.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace';
  const resolved = [
    '--vscode-charts-blue',
    '--vscode-charts-orange',
    '--vscode-charts-green',
    '--vscode-charts-purple',
    '--vscode-charts-yellow',
    '--vscode-charts-red',
    '--vscode-editor-background',
  ].map((name) => color(name as ColorVar));
  return {
    kind,
    color,
    foreground,
    // High contrast themes want visible structure; others a grid that stays in the background.
    grid: kind === 'high-contrast' ? lines : withAlpha(lines, 0.35),
    background: color('--vscode-editor-background'),
    fontFamily,
    signature: [kind, foreground, lines, fontFamily, ...resolved].join('|'),
  };
}

/** The colour with its alpha multiplied by `factor`; unparseable colours are returned unchanged. */
function withAlpha(css: string, factor: number): string {
  const parsed = parseColor(css);
  if (!parsed.valid) return css;
  const rgb = parsed.rgb;
  return parsed.alpha(rgb ? rgb.a * factor : factor).rgbString();
}

// ---------------------------------------------------------------------------------------------
// DOM skeleton, built once. Everything log-derived goes through textContent.

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
root.id = 'root';
root.classList.add('traindx');

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, parent?: Element): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = className;
  parent?.appendChild(el);
  return el;
}

const header = element('header', 'panel-header', root);
const titleBlock = element('div', 'panel-title-block', header);
const runTitle = element('h1', 'run-label', titleBlock);
const runMeta = element('span', 'run-meta', titleBlock);
const toolbar = element('div', 'panel-toolbar', header);

// Run picker: shown when the snapshot holds several runs. Options are filled with textContent.
const runControl = element('label', 'control run-control', toolbar);
element('span', 'control-label', runControl).textContent = 'Run';
const runSelect = element('select', 'run-select', runControl);
runControl.hidden = true;
runSelect.addEventListener('change', () => {
  const run = lastSnapshot?.runs.find((r) => r.key === runSelect.value);
  if (run && lastSnapshot) selectRun(run, lastSnapshot.selected);
});
/** A labelled checkbox in the toolbar whose state is saved; `changed` runs after the state is saved. */
function toolbarCheckbox(className: string, label: string, checked: boolean, save: (checked: boolean) => void, changed: () => void) {
  const box = document.createElement('vscode-checkbox');
  box.className = className;
  box.label = label;
  box.checked = checked;
  toolbar.appendChild(box);
  box.addEventListener('change', () => {
    save(box.checked);
    changed();
  });
  return box;
}

// x axis: shown when the run offers more than one (steps beside epochs, wall time). Remembered as a preference.
const axisControl = element('label', 'control axis-control', toolbar);
element('span', 'control-label', axisControl).textContent = 'X axis';
const axisSelect = element('select', 'axis-select', axisControl);
axisControl.hidden = true;
axisSelect.addEventListener('change', () => {
  const axis = X_AXES.find((a) => a === axisSelect.value);
  if (axis) {
    saveState({ xAxis: axis });
    if (shownRun) syncRunControls(shownRun); // the overlay depends on which runs offer the axis
    redraw();
  }
});

const overlayCheckbox = toolbarCheckbox('overlay-runs', 'Overlay runs in this folder', state.overlay, (overlay) => saveState({ overlay }), redraw);
overlayCheckbox.hidden = true;
const zoomHint = element('span', 'zoom-hint', toolbar);
zoomHint.textContent = 'Ctrl+wheel or pinch to zoom, drag to pan';
const resetButton = document.createElement('vscode-button');
resetButton.className = 'reset-zoom';
resetButton.setAttribute('secondary', '');
resetButton.textContent = 'Reset zoom';
toolbar.appendChild(resetButton);

// View options. Native range input: @vscode-elements has no slider.
const smoothingControl = element('label', 'control smoothing-control', toolbar);
element('span', 'control-label', smoothingControl).textContent = 'Smoothing';
const smoothingInput = element('input', 'smoothing-input', smoothingControl);
smoothingInput.type = 'range';
smoothingInput.min = '0';
smoothingInput.max = String(MAX_SMOOTHING);
smoothingInput.step = '0.001';
smoothingInput.value = String(state.smoothing);
const smoothingValue = element('output', 'smoothing-value', smoothingControl);
smoothingValue.setAttribute('aria-hidden', 'true');
function showSmoothing(): void {
  smoothingValue.textContent = state.smoothing.toFixed(3);
  smoothingInput.setAttribute('aria-valuetext', state.smoothing === 0 ? 'off' : state.smoothing.toFixed(3));
}
showSmoothing();
smoothingInput.addEventListener('input', () => {
  saveState({ smoothing: clampSmoothing(Number(smoothingInput.value)) });
  showSmoothing();
  redraw();
});

toolbarCheckbox('log-scale', 'Log scale', state.logScale, (logScale) => saveState({ logScale }), redraw);
toolbarCheckbox('show-tables', 'Data tables', state.table, (table) => saveState({ table }), () => {
  for (const entry of drawn.values()) fillTable(entry);
});

// Zoom help and reset last, after the view options.
toolbar.append(zoomHint, resetButton);

const findingsList = element('ul', 'findings', root);
findingsList.setAttribute('aria-label', 'Findings');
const grid = element('div', 'chart-grid', root);
const emptyState = element('div', 'empty-state', root);
const emptyReason = element('p', 'empty-reason', emptyState);
emptyState.setAttribute('role', 'status');
header.hidden = true;
findingsList.hidden = true;
emptyState.hidden = true;

// ---------------------------------------------------------------------------------------------
// Charts

interface DrawnChart {
  readonly card: HTMLElement;
  readonly title: HTMLElement;
  readonly note: HTMLElement;
  readonly pngButton: HTMLButtonElement;
  readonly csvButton: HTMLButtonElement;
  readonly canvas: HTMLCanvasElement;
  /** Holds the data table when tables are shown. */
  readonly tableBox: HTMLElement;
  readonly chart: Chart<'line', Point[]>;
  spec: ChartSpec;
}

const drawn = new Map<string, DrawnChart>();
/** The markers the host asked to emphasise (the editor's cursor is on their findings), and their keys in the shown view. */
let highlightRequest: HighlightTarget[] = [];
let highlighted: ReadonlySet<string> = new Set();
let theme = readTheme();
let currentView: RunView | undefined;

/** The faint logged curves behind smoothed ones: left out of the legend and the tooltip. */
const rawDatasets = new WeakSet<object>();

function isRaw(dataset: object | undefined): boolean {
  return dataset !== undefined && rawDatasets.has(dataset);
}

function datasets(spec: ChartSpec): ChartDataset<'line', Point[]>[] {
  const out: ChartDataset<'line', Point[]>[] = [];
  for (const d of spec.datasets) {
    const stroke = theme.color(d.color);
    if (d.raw) {
      const faint = withAlpha(stroke, theme.kind === 'high-contrast' ? 0.5 : 0.35);
      const raw: ChartDataset<'line', Point[]> = {
        label: d.label,
        data: d.raw,
        borderColor: faint,
        backgroundColor: faint,
        borderDash: [...d.dash],
        borderWidth: 1,
        pointRadius: 0,
        pointHoverRadius: 0,
        pointHitRadius: 0,
        spanGaps: false,
        tension: 0,
      };
      rawDatasets.add(raw);
      out.push(raw);
    }
    out.push({
      label: d.label,
      data: d.points,
      borderColor: stroke,
      backgroundColor: stroke,
      borderDash: [...d.dash],
      borderWidth: d.width,
      pointRadius: d.raw ? 0 : d.pointRadius,
      pointHoverRadius: 4,
      pointHitRadius: 4,
      spanGaps: false,
      tension: 0,
    });
  }
  return out;
}

/** Pixels between stacked marker labels. */
const LABEL_ROW_PX = 20;

function annotations(spec: ChartSpec, runKey: string, widthPx: number): Record<string, AnnotationOptions> {
  const out: Record<string, AnnotationOptions> = {};
  const looks = spec.markers.map((marker) => markerLook(marker, spec.xLabel, highlighted.has(marker.key)));
  let xMin = Infinity;
  let xMax = -Infinity;
  for (const d of spec.datasets) {
    for (const p of d.points) {
      if (p.x < xMin) xMin = p.x;
      if (p.x > xMax) xMax = p.x;
    }
  }
  const rows = labelRows(spec.markers.map((m, i) => ({ x: m.x, text: looks[i].label })), xMax > xMin ? widthPx / (xMax - xMin) : 1);
  spec.markers.forEach((marker, i) => {
    const stroke = theme.color(marker.color);
    const handlers = markerHandlers(marker, runKey);
    const look = looks[i];
    if (marker.box) {
      out[`${marker.key}:box`] = {
        type: 'box',
        xMin: marker.x,
        xMax: marker.xEnd,
        backgroundColor: withAlpha(stroke, look.boxAlpha),
        borderWidth: 0,
        drawTime: 'beforeDatasetsDraw',
        // Hover explains the window; only the line and its label navigate, so panning across it is safe.
        enter: handlers.enter,
        leave: handlers.leave,
      };
    }
    out[`${marker.key}:line`] = {
      type: 'line',
      xMin: marker.x,
      xMax: marker.x,
      borderColor: stroke,
      borderWidth: look.lineWidth,
      borderDash: [...look.dash],
      hitTolerance: 6,
      drawTime: 'afterDatasetsDraw',
      label: {
        display: true,
        content: look.label,
        position: 'end',
        backgroundColor: stroke,
        color: theme.background,
        font: { family: theme.fontFamily, size: 11, weight: look.bold ? 'bold' : 'normal' },
        padding: { x: 4, y: 2 },
        borderRadius: 2,
        yAdjust: rows[i] * LABEL_ROW_PX,
      },
      ...handlers,
    };
  });
  return out;
}

/** The width of a chart's plot area, near enough for placing labels: the canvas' box less the y axis. */
function plotWidth(canvas: HTMLCanvasElement): number {
  return Math.max(100, (canvas.parentElement?.clientWidth ?? 480) - 60);
}

/** Clicking a marker reveals its log line and linked code line; hovering shows its message as the canvas tooltip. */
function markerHandlers(marker: MarkerSpec, runKey: string): Pick<AnnotationOptions, 'click' | 'enter' | 'leave'> {
  return {
    enter: ({ chart }) => {
      chart.canvas.title = markerTooltip(marker);
      if (revealTarget(runKey, marker)) chart.canvas.style.cursor = 'pointer';
    },
    leave: ({ chart }) => {
      chart.canvas.title = '';
      chart.canvas.style.cursor = '';
    },
    click: ({ chart }, event) => {
      if (!wasDragged(chart.canvas, event.native)) reveal(runKey, marker);
    },
  };
}

/** Where the pointer went down on each canvas: a click that ends a pan is not a click on a marker. */
const pointerDown = new WeakMap<HTMLCanvasElement, { x: number; y: number }>();

function wasDragged(canvas: HTMLCanvasElement, event: Event | null): boolean {
  const down = pointerDown.get(canvas);
  if (!down || !(event instanceof MouseEvent)) return false;
  return Math.hypot(event.clientX - down.x, event.clientY - down.y) > 4;
}

/** What a click on the marker asks the host to show: its log line and its first linked code line, when it has them. */
function revealTarget(key: string, marker: MarkerSpec): WebviewMessage | undefined {
  const line = marker.line !== null && Number.isInteger(marker.line) && marker.line >= 1 ? marker.line : null;
  const first = marker.code[0];
  const code = first ? { file: first.file, line: first.line, column: first.column } : null;
  return line === null && code === null ? undefined : { type: 'reveal', key, line, code };
}

function reveal(key: string, marker: MarkerSpec): void {
  const message = revealTarget(key, marker);
  if (message) vscode.postMessage(message);
}

function chartConfig(spec: ChartSpec, runKey: string, widthPx: number): ChartConfiguration<'line', Point[]> {
  const font = { family: theme.fontFamily, size: 11 };
  const axis = (title: string | undefined) => ({
    type: 'linear' as const,
    grid: { color: theme.grid },
    border: { color: theme.grid },
    ticks: { color: theme.foreground, font, includeBounds: false },
    title: { display: title !== undefined, text: title ?? '', color: theme.foreground, font },
  });
  const y = axis(undefined);
  return {
    type: 'line',
    data: { datasets: datasets(spec) },
    options: {
      parsing: false,
      normalized: true,
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'eachSeries', intersect: false },
      scales: {
        x: {
          ...axis(AXIS_TITLES[spec.xLabel]),
          // Elapsed time ticks at round seconds, minutes and hours rather than at round numbers of seconds.
          afterBuildTicks:
            spec.xLabel === 'wall'
              ? (scale) => {
                  scale.ticks = timeTicks(scale.min, scale.max).map((value) => ({ value }));
                }
              : undefined,
          ticks: { ...axis(undefined).ticks, callback: (v) => formatAxisValue(Number(v), spec.xLabel) },
        },
        y: {
          ...y,
          type: spec.logScale ? 'logarithmic' : 'linear',
          min: spec.y?.min,
          max: spec.y?.max,
          ticks: {
            ...y.ticks,
            // Log ticks come at every integer of each decade; logTick keeps 1, 2 and 5, so skipping more would lose those.
            autoSkip: !spec.logScale,
            callback: (v) => (spec.logScale ? logTick(Number(v)) : formatValue(Number(v))),
          },
        },
      },
      plugins: {
        legend: {
          onClick: (_event, item, legend) => toggleSeries(legend.chart, item.datasetIndex),
          labels: {
            color: theme.foreground,
            font,
            usePointStyle: true,
            pointStyle: 'line',
            pointStyleWidth: 24,
            boxHeight: 8,
            generateLabels: legendItems,
          },
        },
        tooltip: {
          titleFont: font,
          bodyFont: font,
          filter: (item) => !isRaw(item.dataset),
          callbacks: {
            title: (items) => (items.length > 0 ? `${AXIS_TITLES[spec.xLabel]} ${formatAxisValue(items[0].parsed.x ?? NaN, spec.xLabel)}` : ''),
            label: (item) => {
              const text = `${item.dataset.label ?? ''}: ${formatValue(item.parsed.y ?? NaN)}`;
              const logged = (item.raw as Point | undefined)?.raw;
              return logged === undefined ? text : `${text} (logged ${formatValue(logged)})`;
            },
          },
        },
        decimation: { enabled: spec.decimate, algorithm: 'lttb' },
        zoom: {
          zoom: { wheel: { enabled: true, modifierKey: 'ctrl' }, pinch: { enabled: true }, mode: 'x' },
          pan: { enabled: true, mode: 'x' },
          limits: { x: { min: 'original', max: 'original' } },
        },
        annotation: {
          // Every marker part under the pointer gets the event. The plugin's default (the chart's
          // nearest-on-x) hands a click to one part only, the shaded window, which does not navigate.
          interaction: { mode: 'point', intersect: true },
          annotations: annotations(spec, runKey, widthPx),
        },
      },
    },
  };
}

/** Log axis labels at 1, 2 and 5 of each decade only, so the ticks stay readable. */
function logTick(value: number): string {
  if (!(value > 0)) return '';
  const mantissa = Math.round((value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9))) * 1000) / 1000;
  return mantissa === 1 || mantissa === 2 || mantissa === 5 ? formatValue(value) : '';
}

/** Legend clicks hide a series together with the faint logged curve drawn just before it. */
function toggleSeries(chart: Chart, index: number | undefined): void {
  if (index === undefined) return;
  const visible = !chart.isDatasetVisible(index);
  chart.setDatasetVisibility(index, visible);
  if (index > 0 && isRaw(chart.data.datasets[index - 1])) chart.setDatasetVisibility(index - 1, visible);
  chart.update('none');
}

/** chart.js styles point-style legend items like the first point: give them the line's dash back. */
function legendItems(chart: Chart): LegendItem[] {
  const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
  return items.filter((item) => !isRaw(chart.data.datasets[item.datasetIndex ?? -1])).map((item) => {
    const dataset = chart.data.datasets[item.datasetIndex ?? -1] as ChartDataset<'line'> | undefined;
    if (!dataset) return item;
    return { ...item, lineDash: [...((dataset.borderDash as number[] | undefined) ?? [])], lineWidth: 2, strokeStyle: dataset.borderColor as string };
  });
}

function createChart(spec: ChartSpec, runKey: string): DrawnChart {
  const card = element('section', 'chart-card');
  const heading = element('div', 'chart-heading', card);
  const title = element('h2', 'chart-title', heading);
  const note = element('span', 'chart-note', heading);
  const actions = element('div', 'chart-actions', heading);
  const pngButton = element('button', 'chart-action export-png', actions);
  pngButton.type = 'button';
  pngButton.textContent = 'PNG';
  pngButton.addEventListener('click', () => exportPng(entry));
  const csvButton = element('button', 'chart-action export-csv', actions);
  csvButton.type = 'button';
  csvButton.textContent = 'CSV';
  csvButton.addEventListener('click', () => exportCsv(entry));
  const box = element('div', 'chart-box', card);
  const canvas = element('canvas', 'chart-canvas', box);
  canvas.setAttribute('role', 'img');
  canvas.addEventListener('dblclick', () => resetZoom(entry));
  canvas.addEventListener('pointerdown', (event) => pointerDown.set(canvas, { x: event.clientX, y: event.clientY }));
  const tableBox = element('div', 'chart-table-box', card);
  tableBox.tabIndex = 0; // scrollable by keyboard
  tableBox.setAttribute('role', 'region');
  const chart = new Chart<'line', Point[]>(canvas, chartConfig(spec, runKey, plotWidth(canvas)));
  const entry: DrawnChart = { card, title, note, pngButton, csvButton, canvas, tableBox, chart, spec };
  describe(entry);
  return entry;
}

/** Swaps in new data without rebuilding the chart, so live updates keep the user's zoom. */
function updateChart(entry: DrawnChart, spec: ChartSpec, runKey: string): void {
  entry.spec = spec;
  const { chart } = entry;
  chart.data.datasets = datasets(spec);
  const options = chart.options;
  if (options.scales?.y) {
    options.scales.y.min = spec.y?.min;
    options.scales.y.max = spec.y?.max;
  }
  if (options.plugins) {
    options.plugins.decimation = { ...options.plugins.decimation, enabled: spec.decimate, algorithm: 'lttb' };
    options.plugins.annotation = { ...options.plugins.annotation, annotations: annotations(spec, runKey, chart.chartArea?.width ?? plotWidth(chart.canvas)) };
  }
  chart.update('none');
  describe(entry);
}

function describe(entry: DrawnChart): void {
  const { spec } = entry;
  entry.title.textContent = spec.title;
  entry.card.dataset.chart = spec.key;
  const skipped = spec.datasets.reduce((n, d) => n + d.nonPositive, 0);
  const notes = [
    spec.datasets.some((d) => d.raw) ? 'smoothed' : '',
    spec.logScale ? 'log scale' : '',
    skipped > 0 ? `${skipped} value${skipped === 1 ? '' : 's'} ≤ 0 not drawn` : '',
  ].filter((n) => n.length > 0);
  entry.note.textContent = notes.join(' · ');
  entry.pngButton.setAttribute('aria-label', `Export the ${spec.title} chart as PNG`);
  entry.pngButton.title = `Export the ${spec.title} chart as a PNG image`;
  entry.csvButton.setAttribute('aria-label', `Export the ${spec.title} data as CSV`);
  entry.csvButton.title = `Export the logged ${spec.title} values as CSV`;
  fillTable(entry);
  entry.canvas.setAttribute(
    'aria-label',
    `${spec.title} by ${AXIS_TITLES[spec.xLabel]}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}: ${spec.datasets.map((d) => d.label).join(', ')}`,
  );
}

/** Rows shown in a data table; the CSV export has them all. */
const TABLE_MAX_ROWS = 1000;

/** The chart's logged values as an HTML table (textContent only), or nothing when tables are off. */
function fillTable(entry: DrawnChart): void {
  const box = entry.tableBox;
  box.hidden = !state.table;
  if (!state.table) {
    box.replaceChildren();
    return;
  }
  const { spec } = entry;
  const data = chartTable(spec, TABLE_MAX_ROWS);
  box.setAttribute('aria-label', `${spec.title} data`);
  const table = document.createElement('table');
  table.className = 'data-table';
  const shown = data.rows.length;
  table.createCaption().textContent =
    `${spec.title}: logged values by ${AXIS_TITLES[spec.xLabel]}` +
    (shown < data.total ? ` (first ${shown} of ${data.total} rows; export CSV for all)` : ` (${shown} rows)`);
  const headRow = table.createTHead().insertRow();
  for (const [c, column] of data.columns.entries()) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c === 0 ? AXIS_TITLES[spec.xLabel] : column;
    headRow.appendChild(th);
  }
  const body = table.createTBody();
  for (let i = 0; i < shown; i++) {
    const row = data.rows[i];
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = formatAxisValue(row[0] ?? NaN, spec.xLabel);
    tr.appendChild(th);
    for (let c = 1; c < row.length; c++) {
      const value = row[c];
      tr.insertCell().textContent = value === undefined ? '' : formatValue(value);
    }
  }
  box.replaceChildren(table);
}

/** A file name to suggest: the run and the chart (the host makes it safe). */
function exportName(entry: DrawnChart): string {
  return `${currentView?.label ?? 'run'}-${entry.spec.key.replace(/^metric:/, '')}`;
}

/** The chart as drawn, on the editor background (the canvas itself is transparent). */
function exportPng(entry: DrawnChart): void {
  const source = entry.canvas;
  const out = document.createElement('canvas');
  out.width = source.width;
  out.height = source.height;
  const context = out.getContext('2d');
  if (!context) return;
  context.fillStyle = theme.background;
  context.fillRect(0, 0, out.width, out.height);
  context.drawImage(source, 0, 0);
  vscode.postMessage({ type: 'exportPng', name: exportName(entry), dataUrl: out.toDataURL('image/png') });
}

function exportCsv(entry: DrawnChart): void {
  vscode.postMessage({ type: 'exportCsv', name: exportName(entry), text: toCsv(chartTable(entry.spec)) });
}

function resetZoom(entry: DrawnChart): void {
  entry.chart.resetZoom('none');
  // The zoom plugin restores the limits it saw when zooming began; live updates may have moved them since.
  const y = entry.chart.options.scales?.y;
  if (y) {
    y.min = entry.spec.y?.min;
    y.max = entry.spec.y?.max;
  }
  entry.chart.update('none');
}

resetButton.addEventListener('click', () => {
  for (const entry of drawn.values()) resetZoom(entry);
});

function destroyCharts(): void {
  for (const entry of drawn.values()) {
    entry.chart.destroy();
    entry.card.remove();
  }
  drawn.clear();
}

// ---------------------------------------------------------------------------------------------
// Rendering

function showEmpty(reason: string): void {
  currentView = undefined;
  destroyCharts();
  header.hidden = true;
  findingsList.hidden = true;
  grid.hidden = true;
  emptyReason.textContent = reason;
  emptyState.hidden = false;
}

/**
 * Emphasises the requested markers of `view` and the findings naming them; redraws only the charts
 * whose markers changed. With `scroll`, brings the first chart with an emphasised marker into view.
 */
function applyHighlight(view: RunView, scroll: boolean): void {
  const before = highlighted;
  highlighted = highlightedKeys(highlightRequest, view);
  root.dataset.highlighted = [...highlighted].join(' ');
  for (const button of findingsList.querySelectorAll<HTMLButtonElement>('.finding-button')) {
    const on = highlighted.has(button.dataset.marker ?? '');
    button.toggleAttribute('aria-current', on);
    // CSSOM, which the CSP allows: an outline in the focus colour.
    button.style.outline = on ? '2px solid var(--vscode-focusBorder)' : '';
  }
  let first: DrawnChart | undefined;
  for (const entry of drawn.values()) {
    const changed = entry.spec.markers.some((m) => before.has(m.key) !== highlighted.has(m.key));
    const on = entry.spec.markers.some((m) => highlighted.has(m.key));
    entry.card.toggleAttribute('data-highlighted', on);
    if (on && !first) first = entry;
    if (changed && entry.chart.options.plugins) {
      entry.chart.options.plugins.annotation = { ...entry.chart.options.plugins.annotation, annotations: annotations(entry.spec, view.key, entry.chart.chartArea?.width ?? plotWidth(entry.chart.canvas)) };
      entry.chart.update('none');
    }
  }
  if (scroll && first) first.card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

function drawRun(view: RunView): void {
  currentView = view;
  // Before the charts are built, so their annotations draw the emphasis.
  highlighted = highlightedKeys(highlightRequest, view);
  emptyState.hidden = true;
  header.hidden = false;
  grid.hidden = false;
  runTitle.textContent = view.label;
  runTitle.title = view.key;
  const findings = view.markers.length;
  runMeta.textContent = `${view.charts.length} chart${view.charts.length === 1 ? '' : 's'} · by ${AXIS_TITLES[view.xLabel]}` +
    (findings > 0 ? ` · ${findings} finding${findings === 1 ? '' : 's'}` : '');
  drawFindings(view);

  const keep = new Set(view.charts.map((c) => c.key));
  for (const [key, entry] of drawn) {
    if (!keep.has(key)) {
      entry.chart.destroy();
      entry.card.remove();
      drawn.delete(key);
    }
  }
  for (const spec of view.charts) {
    let entry = drawn.get(spec.key);
    if (entry && (entry.spec.logScale !== spec.logScale || entry.spec.xLabel !== spec.xLabel)) {
      // chart.js cannot swap a scale's type in place; another x axis starts unzoomed with its own ticks.
      entry.chart.destroy();
      entry.card.remove();
      drawn.delete(spec.key);
      entry = undefined;
    }
    if (entry) updateChart(entry, spec, view.key);
    else {
      entry = createChart(spec, view.key);
      drawn.set(spec.key, entry);
    }
    grid.appendChild(entry.card); // keeps the cards in the view's order
  }
  if (view.charts.length === 0) {
    emptyReason.textContent = 'This run has no metric values yet.';
    emptyState.hidden = false;
  }
  applyHighlight(view, false);
}

function drawFindings(view: RunView): void {
  findingsList.replaceChildren();
  findingsList.hidden = view.markers.length === 0;
  for (const marker of view.markers) {
    const item = element('li', 'finding', findingsList);
    const button = element('button', 'finding-button', item);
    button.type = 'button';
    button.dataset.severity = marker.severity;
    button.dataset.marker = marker.key;
    button.disabled = revealTarget(view.key, marker) === undefined;
    button.title = markerTooltip(marker);
    element('span', 'finding-id', button).textContent = marker.id;
    element('span', 'finding-where', button).textContent = markerPlace(marker, view.xLabel);
    element('span', 'finding-message', button).textContent = marker.message;
    if (marker.code.length > 0) element('span', 'finding-where finding-code', button).textContent = `→ ${codePlace(marker.code[0])}`;
    button.addEventListener('click', () => reveal(view.key, marker));
  }
}

function render(message: HostMessage): void {
  switch (message.type) {
    case 'empty':
      showEmpty(message.reason);
      break;
    case 'snapshot':
      renderSnapshot(message.runs, message.selected);
      break;
    case 'append': {
      const merged = lastSnapshot && applyAppend(lastSnapshot.runs, message);
      // Out of step with the host (a message was lost): `ready` makes it send everything again.
      if (merged) renderSnapshot(merged, message.selected);
      else vscode.postMessage({ type: 'ready' });
      break;
    }
    case 'highlight':
      highlightRequest = message.targets;
      if (currentView) applyHighlight(currentView, true);
      break;
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
  root.dataset.ready = 'true';
}

function renderSnapshot(runs: RunData[], selected: string | null): void {
  lastSnapshot = { runs, selected };
  const run = chooseRun(runs, selected, state);
  if (!run) {
    showEmpty('No training runs to show yet.');
    return;
  }
  selectRun(run, selected);
}

/** The last snapshot, kept to redraw when a view option changes. */
let lastSnapshot: { runs: RunData[]; selected: string | null } | undefined;
let shownRun: RunData | undefined;

/** Draws `run`; the run picker calls this too. */
function selectRun(run: RunData, hostSelected: string | null): void {
  const view = buildView(run);
  if (currentView && currentView.key !== view.key) destroyCharts(); // another run: start from unzoomed charts
  shownRun = run;
  saveState({ selectedKey: run.key, hostSelected });
  syncRunControls(run);
  drawRun(view);
}

/** The shown run alone, or with the other runs of its folder when the overlay is on and there are any. */
function buildView(run: RunData): RunView {
  const runs = state.overlay && lastSnapshot ? overlayRuns(lastSnapshot.runs, run, state.xAxis ?? undefined) : [run];
  return runs.length > 1 ? buildOverlayView(runs, viewOptions()) : buildRunView(run, viewOptions());
}

function syncRunControls(run: RunData): void {
  const runs = lastSnapshot?.runs ?? [run];
  runControl.hidden = runs.length < 2;
  const same = runSelect.options.length === runs.length && runs.every((r, i) => runSelect.options[i].value === r.key && runSelect.options[i].textContent === r.label);
  if (!same) {
    runSelect.replaceChildren(
      ...runs.map((r) => {
        const option = document.createElement('option');
        option.value = r.key;
        option.textContent = r.label;
        option.title = r.key;
        return option;
      }),
    );
  }
  runSelect.value = run.key;
  overlayCheckbox.hidden = overlayRuns(runs, run, state.xAxis ?? undefined).length < 2;
  syncAxisControl(run);
}

/** The x-axis choices of the shown run; the selection follows the axis it is drawn by. */
function syncAxisControl(run: RunData): void {
  axisControl.hidden = run.axes.length < 2;
  if (axisSelect.options.length !== run.axes.length || run.axes.some((a, i) => axisSelect.options[i].value !== a)) {
    axisSelect.replaceChildren(
      ...run.axes.map((a) => {
        const option = document.createElement('option');
        option.value = a;
        option.textContent = AXIS_TITLES[a];
        return option;
      }),
    );
  }
  axisSelect.value = run.axes.includes(state.xAxis ?? run.xLabel) ? (state.xAxis ?? run.xLabel) : run.xLabel;
}

/** Redraws the shown run after a view option changed; coalesced per frame (the slider fires often). */
let optionsFrame = 0;
function redraw(): void {
  if (optionsFrame !== 0) return;
  optionsFrame = requestAnimationFrame(() => {
    optionsFrame = 0;
    if (shownRun) drawRun(buildView(shownRun));
  });
}

// Theme changes: VS Code swaps the body classes and the variables on <html>. Coalesced per frame.
let themeFrame = 0;
function onThemeMaybeChanged(): void {
  if (themeFrame !== 0) return;
  themeFrame = requestAnimationFrame(() => {
    themeFrame = 0;
    const next = readTheme();
    if (next.signature === theme.signature) return;
    theme = next;
    if (currentView) {
      const view = currentView;
      destroyCharts();
      drawRun(view);
    }
  });
}
const themeObserver = new MutationObserver(onThemeMaybeChanged);
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id', 'data-vscode-theme-kind'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostMessage(event.data);
  if (message) render(message);
});

vscode.postMessage({ type: 'ready' });
