/**
 * Hosts the curve panel: a webview that draws the runs' curves with the findings' markers.
 * The host owns the data: on `ready` it sends a full snapshot, then, as logs grow, `append` messages
 * with only the new points (coalesced to one per {@link UPDATE_INTERVAL_MS}). Nothing is sent while the
 * panel is hidden: the page is torn down then (no `retainContextWhenHidden`), so showing it again
 * reloads it and it gets a fresh snapshot, however much changed meanwhile. The webview keeps only
 * view state.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  exportFileName,
  parseWebviewMessage,
  pngBytes,
  type CodeRef,
  type HighlightTarget,
  type HostMessage,
  type RunData,
} from '../protocol/messages';
import { SentRuns, runsUpdate } from './run-data';

/** Where the runs come from, read each time a snapshot is sent. */
export type RunSource = () => RunData[];
/** What a click on a marker or finding asks to show: the log line of run `key`, and a linked script line. */
export interface RevealTarget {
  readonly key: string;
  readonly line: number | null;
  readonly code: CodeRef | null;
}

/** Called when the user clicks a marker, with a target the panel checked against what it sent. */
export type RevealHandler = (target: RevealTarget) => void;

/** No more than one update (snapshot or append) per this many milliseconds while a log grows. */
export const UPDATE_INTERVAL_MS = 250;

/** Fires when a panel is created or restored (the marker sync follows the current one). */
const created = new vscode.EventEmitter<CurvePanel>();

export const NO_RUNS_REASON =
  'No training runs yet. Open a training log in this workspace, or start a run that writes one: its curves will appear here as it grows.';

export class CurvePanel {
  static readonly viewType = 'traindx.curves';
  static readonly title = 'TrainDx: Curves';

  /** The open panel, if any (tests use it to reach the webview). */
  static current: CurvePanel | undefined;
  /** Fires with each new panel, opened or restored after a reload. */
  static readonly onDidCreate: vscode.Event<CurvePanel> = created.event;

  /** Resolves once the webview has received its first `snapshot` (an `empty` message does not count). */
  readonly isReady: Promise<void>;
  /** Fires after each message delivered to the webview. */
  readonly onDidPost: vscode.Event<HostMessage>;

  private readonly didPost = new vscode.EventEmitter<HostMessage>();
  private readonly disposables: vscode.Disposable[] = [];
  private resolveReady!: () => void;
  private selected: string | null = null;
  /** The webview has said `ready` since it was last (re)loaded. */
  private webviewReady = false;
  /** Something changed that the webview has not been sent yet. */
  private dirty = false;
  private lastPost = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The runs (and their markers' script places) the webview was last sent: all it may ask to reveal. */
  private sent = new SentRuns([]);
  private disposed = false;
  private delivered: HostMessage | undefined;
  /** The runs the webview holds once the messages posted so far arrive; undefined: send a snapshot next. */
  private held: { runs: RunData[]; selected: string | null } | undefined;
  /** The last `highlight` delivered since the webview (re)loaded, as JSON, to skip repeats. */
  private highlighted = '';
  private deliveredHighlight: HighlightTarget[] = [];
  /** A save dialog is open: further export requests are dropped rather than stacked. */
  private exporting = false;

  /** Opens the panel beside the active editor, or reveals it when it is already open. */
  static show(context: vscode.ExtensionContext, source: RunSource, onReveal: RevealHandler): CurvePanel {
    const existing = CurvePanel.current;
    if (existing) {
      existing.source = source;
      existing.onReveal = onReveal;
      existing.panel.reveal(undefined, true);
      existing.update();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      CurvePanel.viewType,
      CurvePanel.title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      CurvePanel.webviewOptions(context.extensionUri),
    );
    return new CurvePanel(panel, context.extensionUri, source, onReveal);
  }

  /** Scripts on, and only the bundle and the stylesheet folders readable. */
  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  /** Adopts a panel, new or restored by the serializer after a reload. */
  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private source: RunSource,
    private onReveal: RevealHandler,
  ) {
    this.isReady = new Promise((resolve) => (this.resolveReady = resolve));
    this.onDidPost = this.didPost.event;
    CurvePanel.current?.dispose();
    CurvePanel.current = this;
    this.disposables.push(this.didPost);
    panel.webview.html = buildHtml(panel.webview, extensionUri);
    this.disposables.push(panel.onDidDispose(() => this.dispose()));
    this.disposables.push(panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)));
    this.disposables.push(panel.onDidChangeViewState(() => this.visibilityChanged()));
    created.fire(this);
  }

  /**
   * What the webview shows: the runs it holds as one snapshot (however they arrived: a snapshot, then
   * appends), or the last `empty` message. Tests read it; highlights are not included.
   */
  get lastMessage(): HostMessage | undefined {
    return this.delivered;
  }

  /** The runs the webview holds, as of the last message it received. */
  get sentRuns(): readonly RunData[] {
    return this.delivered?.type === 'snapshot' ? this.delivered.runs : [];
  }

  /** The markers last emphasised (tests read them here). */
  get highlightedMarkers(): readonly HighlightTarget[] {
    return this.deliveredHighlight;
  }

  /**
   * Emphasises these markers (none: no marker). Sent at once, not coalesced: it follows the cursor. A
   * hidden or loading webview misses it; the marker sync sends it again after the next update.
   */
  highlight(targets: HighlightTarget[]): void {
    const json = JSON.stringify(targets);
    if (this.disposed || !this.webviewReady || !this.panel.visible || json === this.highlighted) return;
    this.highlighted = json;
    const message: HostMessage = { type: 'highlight', targets };
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered || this.disposed) return;
        this.deliveredHighlight = targets;
        this.didPost.fire(message);
      },
      () => undefined,
    );
  }

  /** The editor column the panel is in, when it is shown. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel.viewColumn;
  }

  /** Pushes a fresh snapshot soon: coalesced, and deferred while the panel is hidden. */
  update(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Sets the run the host wants shown (for example the log in the active editor). */
  select(key: string | null): void {
    if (key === this.selected) return;
    this.selected = key;
    this.update();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (CurvePanel.current === this) CurvePanel.current = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        // A (re)loaded webview has nothing: send everything now.
        this.webviewReady = true;
        this.held = undefined;
        this.highlighted = '';
        this.dirty = true;
        this.flush();
        break;
      case 'reveal': {
        // The webview is untrusted: only reveal runs this panel was given, and script places it sent with them.
        if (this.sent.allowsReveal(message.key, message.code)) this.onReveal({ key: message.key, line: message.line, code: message.code });
        break;
      }
      case 'exportPng': {
        const bytes = pngBytes(message.dataUrl);
        if (bytes) void this.save(exportFileName(message.name, 'png'), bytes, { 'PNG image': ['png'] });
        break;
      }
      case 'exportCsv':
        void this.save(exportFileName(message.name, 'csv'), new TextEncoder().encode(message.text), { CSV: ['csv'] });
        break;
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  /** Asks where to save an export, then writes it. One dialog at a time. */
  private async save(name: string, bytes: Uint8Array, filters: Record<string, string[]>): Promise<void> {
    if (this.exporting || this.disposed) return;
    this.exporting = true;
    try {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({
        defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
        filters,
        saveLabel: 'Export',
        title: `TrainDx: export ${name}`,
      });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, bytes);
    } catch (error) {
      void vscode.window.showErrorMessage(`TrainDx could not export ${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.exporting = false;
    }
  }

  private visibilityChanged(): void {
    if (!this.panel.visible) {
      // Without retainContextWhenHidden the page is torn down: it will say `ready` again.
      this.webviewReady = false;
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.disposed || this.timer !== undefined || !this.dirty) return;
    if (!this.panel.visible || !this.webviewReady) return; // sent on `ready` or when shown again
    const wait = Math.max(0, this.lastPost + UPDATE_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (this.disposed || !this.dirty || !this.webviewReady) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.dirty = false;
    const next = this.nextMessage();
    if (!next) return; // nothing changed
    const { message, state } = next;
    this.lastPost = Date.now();
    this.held = state;
    this.sent = new SentRuns(state?.runs ?? []);
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (this.disposed) return;
        if (!delivered) {
          // The webview missed it: what it holds is unknown, so the next message is a snapshot.
          this.held = undefined;
          return;
        }
        // Tests read the webview's data as one snapshot, however it got there.
        this.delivered = state ? { type: 'snapshot', ...state } : message;
        if (message.type === 'snapshot') this.resolveReady();
        this.didPost.fire(message);
      },
      () => undefined, // the panel went away meanwhile
    );
  }

  /**
   * The message that brings the webview up to date, and the runs it will then hold: a snapshot first
   * (and after a reload, a restart, a re-downsampling), appends while runs only grow, nothing when
   * nothing changed.
   */
  private nextMessage(): { message: HostMessage; state: { runs: RunData[]; selected: string | null } | undefined } | undefined {
    let runs: RunData[];
    try {
      runs = this.source();
    } catch (error) {
      return { message: { type: 'empty', reason: `TrainDx could not read the runs: ${error instanceof Error ? error.message : String(error)}` }, state: undefined };
    }
    if (runs.length === 0) return { message: { type: 'empty', reason: NO_RUNS_REASON }, state: undefined };
    const state = { runs, selected: this.selected };
    const held = this.held;
    const update = held ? runsUpdate(held.runs, runs) : ({ kind: 'snapshot' } as const);
    if (update.kind === 'same' && held?.selected === this.selected) return undefined;
    if (update.kind === 'snapshot') return { message: { type: 'snapshot', ...state }, state };
    return { message: { type: 'append', runs: update.runs, selected: this.selected }, state };
  }
}

/**
 * Restores the panel after VS Code reloads (needs the `onWebviewPanel:traindx.curves` activation
 * event). The state the webview saved is its own business; the host just sends a fresh snapshot.
 */
export function registerCurvePanelSerializer(
  context: vscode.ExtensionContext,
  source: RunSource,
  onReveal: RevealHandler,
): vscode.Disposable {
  const registration = vscode.window.registerWebviewPanelSerializer(CurvePanel.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
      panel.webview.options = CurvePanel.webviewOptions(context.extensionUri);
      new CurvePanel(panel, context.extensionUri, source, onReveal);
    },
  });
  context.subscriptions.push(registration);
  return registration;
}

/** The Content-Security-Policy of the panel: nothing but our stylesheet, fonts, images and one nonce'd script. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

function buildHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${style.toString()}">
  <title>${CurvePanel.title}</title>
</head>
<body>
  <div id="root" class="traindx"></div>
  <script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
