/**
 * Hosts the curve panel: a webview that draws the runs' curves with the findings' markers.
 * The host owns the data and sends full snapshots; the webview keeps only view state.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  exportFileName,
  parseWebviewMessage,
  pngBytes,
  type HostMessage,
  type RunData,
} from '../protocol/messages';

/** Where the runs come from, read each time a snapshot is sent. */
export type RunSource = () => RunData[];
/** Called when the user clicks a marker: reveal `line` of the run with `key`. */
export type RevealHandler = (key: string, line: number) => void;

/** No more than one snapshot per this many milliseconds while a log grows. */
export const UPDATE_INTERVAL_MS = 250;

export const NO_RUNS_REASON =
  'No training runs yet. Open a training log in this workspace, or start a run that writes one: its curves will appear here as it grows.';

export class CurvePanel {
  static readonly viewType = 'traindx.curves';
  static readonly title = 'TrainDx: Curves';

  /** The open panel, if any (tests use it to reach the webview). */
  static current: CurvePanel | undefined;

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
  private knownKeys = new Set<string>();
  private disposed = false;
  private delivered: HostMessage | undefined;
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
  }

  /** The last message the webview received (tests read the snapshot from here). */
  get lastMessage(): HostMessage | undefined {
    return this.delivered;
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
        this.dirty = true;
        this.flush();
        break;
      case 'revealLine':
        // The webview is untrusted: only reveal runs this panel was given.
        if (this.knownKeys.has(message.key)) this.onReveal(message.key, message.line);
        break;
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
    this.lastPost = Date.now();
    const message = this.snapshot();
    this.knownKeys = new Set(message.type === 'snapshot' ? message.runs.map((r) => r.key) : []);
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered || this.disposed) return;
        this.delivered = message;
        if (message.type === 'snapshot') this.resolveReady();
        this.didPost.fire(message);
      },
      () => undefined, // the panel went away meanwhile
    );
  }

  private snapshot(): HostMessage {
    let runs: RunData[];
    try {
      runs = this.source();
    } catch (error) {
      return { type: 'empty', reason: `TrainDx could not read the runs: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (runs.length === 0) return { type: 'empty', reason: NO_RUNS_REASON };
    return { type: 'snapshot', runs, selected: this.selected };
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
