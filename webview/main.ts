/**
 * The curve panel's browser side: receives snapshots from the host, asks view-model.ts what to draw,
 * and draws it with chart.js. Log-derived text only ever reaches the page through `textContent`.
 */
import {
  Chart,
  Decimation,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type LegendItem,
} from 'chart.js';
import { color as parseColor } from 'chart.js/helpers';
import annotationPlugin, { type AnnotationOptions } from 'chartjs-plugin-annotation';
import zoomPlugin from 'chartjs-plugin-zoom';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { parseHostMessage, type HostMessage, type RunData, type WebviewMessage } from '../src/protocol/messages';
import {
  buildRunView,
  chooseRun,
  formatValue,
  formatX,
  markerPlace,
  type ChartSpec,
  type ColorVar,
  type MarkerSpec,
  type Point,
  type RunView,
  type SelectionState,
} from './view-model';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Decimation, zoomPlugin, annotationPlugin);

interface VsCodeApi<State> {
  postMessage(message: WebviewMessage): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

/** What survives the panel being hidden: view state only, the host owns the data. */
type PanelState = SelectionState;

const vscode = acquireVsCodeApi<PanelState>();
let state: PanelState = readState(vscode.getState());

function readState(value: unknown): PanelState {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const key = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  return { selectedKey: key(v.selectedKey), hostSelected: key(v.hostSelected) };
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
const zoomHint = element('span', 'zoom-hint', toolbar);
zoomHint.textContent = 'Ctrl+wheel or pinch to zoom, drag to pan';
const resetButton = document.createElement('vscode-button');
resetButton.className = 'reset-zoom';
resetButton.setAttribute('secondary', '');
resetButton.textContent = 'Reset zoom';
toolbar.appendChild(resetButton);

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
  readonly canvas: HTMLCanvasElement;
  readonly chart: Chart<'line', Point[]>;
  spec: ChartSpec;
}

const drawn = new Map<string, DrawnChart>();
let theme = readTheme();
let currentView: RunView | undefined;

function datasets(spec: ChartSpec): ChartDataset<'line', Point[]>[] {
  return spec.datasets.map((d) => {
    const stroke = theme.color(d.color);
    return {
      label: d.label,
      data: d.points,
      borderColor: stroke,
      backgroundColor: stroke,
      borderDash: [...d.dash],
      borderWidth: d.width,
      pointRadius: d.pointRadius,
      pointHoverRadius: 4,
      pointHitRadius: 4,
      spanGaps: false,
      tension: 0,
    };
  });
}

function annotations(spec: ChartSpec, runKey: string): Record<string, AnnotationOptions> {
  const out: Record<string, AnnotationOptions> = {};
  for (const marker of spec.markers) {
    const stroke = theme.color(marker.color);
    const handlers = markerHandlers(marker, runKey);
    if (marker.box) {
      out[`${marker.key}:box`] = {
        type: 'box',
        xMin: marker.x,
        xMax: marker.xEnd,
        backgroundColor: withAlpha(stroke, 0.14),
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
      borderWidth: 1.5,
      borderDash: [4, 3],
      hitTolerance: 6,
      drawTime: 'afterDatasetsDraw',
      label: {
        display: true,
        content: marker.id,
        position: 'end',
        backgroundColor: stroke,
        color: theme.background,
        font: { family: theme.fontFamily, size: 11 },
        padding: { x: 4, y: 2 },
        borderRadius: 2,
      },
      ...handlers,
    };
  }
  return out;
}

/** Clicking a marker reveals its log line; hovering shows its message as the canvas tooltip. */
function markerHandlers(marker: MarkerSpec, runKey: string): Pick<AnnotationOptions, 'click' | 'enter' | 'leave'> {
  return {
    enter: ({ chart }) => {
      chart.canvas.title = marker.message;
      if (marker.line !== null) chart.canvas.style.cursor = 'pointer';
    },
    leave: ({ chart }) => {
      chart.canvas.title = '';
      chart.canvas.style.cursor = '';
    },
    click: ({ chart }, event) => {
      if (!wasDragged(chart.canvas, event.native)) reveal(runKey, marker.line);
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

function reveal(key: string, line: number | null): void {
  if (line !== null && Number.isInteger(line) && line >= 1) vscode.postMessage({ type: 'revealLine', key, line });
}

function chartConfig(spec: ChartSpec, runKey: string): ChartConfiguration<'line', Point[]> {
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
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: axis(spec.xLabel),
        y: { ...y, min: spec.y?.min, max: spec.y?.max, ticks: { ...y.ticks, callback: (v) => formatValue(Number(v)) } },
      },
      plugins: {
        legend: {
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
          callbacks: {
            title: (items) => (items.length > 0 ? `${spec.xLabel} ${formatX(items[0].parsed.x ?? NaN)}` : ''),
            label: (item) => `${item.dataset.label ?? ''}: ${formatValue(item.parsed.y ?? NaN)}`,
          },
        },
        decimation: { enabled: spec.decimate, algorithm: 'lttb' },
        zoom: {
          zoom: { wheel: { enabled: true, modifierKey: 'ctrl' }, pinch: { enabled: true }, mode: 'x' },
          pan: { enabled: true, mode: 'x' },
          limits: { x: { min: 'original', max: 'original' } },
        },
        annotation: { annotations: annotations(spec, runKey) },
      },
    },
  };
}

/** chart.js styles point-style legend items like the first point: give them the line's dash back. */
function legendItems(chart: Chart): LegendItem[] {
  return Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
    const dataset = chart.data.datasets[item.datasetIndex ?? -1] as ChartDataset<'line'> | undefined;
    if (!dataset) return item;
    return { ...item, lineDash: [...((dataset.borderDash as number[] | undefined) ?? [])], lineWidth: 2, strokeStyle: dataset.borderColor as string };
  });
}

function createChart(spec: ChartSpec, runKey: string): DrawnChart {
  const card = element('section', 'chart-card');
  const title = element('h2', 'chart-title', card);
  const box = element('div', 'chart-box', card);
  const canvas = element('canvas', 'chart-canvas', box);
  canvas.setAttribute('role', 'img');
  canvas.addEventListener('dblclick', () => resetZoom(entry));
  canvas.addEventListener('pointerdown', (event) => pointerDown.set(canvas, { x: event.clientX, y: event.clientY }));
  const chart = new Chart<'line', Point[]>(canvas, chartConfig(spec, runKey));
  const entry: DrawnChart = { card, title, canvas, chart, spec };
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
    options.plugins.annotation = { ...options.plugins.annotation, annotations: annotations(spec, runKey) };
  }
  chart.update('none');
  describe(entry);
}

function describe(entry: DrawnChart): void {
  const { spec } = entry;
  entry.title.textContent = spec.title;
  entry.card.dataset.chart = spec.key;
  entry.canvas.setAttribute('aria-label', `${spec.title} by ${spec.xLabel}: ${spec.datasets.map((d) => d.label).join(', ')}`);
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

function drawRun(view: RunView): void {
  currentView = view;
  emptyState.hidden = true;
  header.hidden = false;
  grid.hidden = false;
  runTitle.textContent = view.label;
  runTitle.title = view.key;
  const findings = view.markers.length;
  runMeta.textContent = `${view.charts.length} chart${view.charts.length === 1 ? '' : 's'} · by ${view.xLabel}` +
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
}

function drawFindings(view: RunView): void {
  findingsList.replaceChildren();
  findingsList.hidden = view.markers.length === 0;
  for (const marker of view.markers) {
    const item = element('li', 'finding', findingsList);
    const button = element('button', 'finding-button', item);
    button.type = 'button';
    button.dataset.severity = marker.severity;
    button.disabled = marker.line === null;
    button.title = marker.line === null ? marker.message : `${marker.message} (line ${marker.line})`;
    element('span', 'finding-id', button).textContent = marker.id;
    element('span', 'finding-where', button).textContent = markerPlace(marker, view.xLabel);
    element('span', 'finding-message', button).textContent = marker.message;
    button.addEventListener('click', () => reveal(view.key, marker.line));
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
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
  root.dataset.ready = 'true';
}

function renderSnapshot(runs: RunData[], selected: string | null): void {
  const run = chooseRun(runs, selected, state);
  if (!run) {
    showEmpty('No training runs to show yet.');
    return;
  }
  selectRun(run, selected);
}

/** Draws `run`; the run picker will call this too. */
function selectRun(run: RunData, hostSelected: string | null): void {
  const view = buildRunView(run);
  if (currentView && currentView.key !== view.key) destroyCharts(); // another run: start from unzoomed charts
  state = { selectedKey: run.key, hostSelected };
  vscode.setState(state);
  drawRun(view);
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
