// The viewer: one series' instances drawn by the server (WADO-RS rendered, JPEG) into a canvas.
// Scroll through the instances with the wheel, the arrow keys or the slider; change the window
// by dragging or with a CT preset (the server applies ?window=center,width,linear); zoom and pan
// (drawn here, no new request); play a multi-frame instance's frames; read the instance's tags.
import { useEffect, useRef, useState } from 'preact/hooks';
import { download } from '../api';
import { Select } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction, useApi } from '../hooks';
import { formatNumber, t, type MessageKey } from '../i18n';
import {
  byNumber,
  type DicomJson,
  fetchPicture,
  instancePath,
  numberOf,
  saveBlob,
  seriesPath,
  text,
} from './model';
import { TagBrowser } from './tags';
import './messages';

export interface Window {
  center: number;
  width: number;
}

// CT windows in Hounsfield units (level, width), as radiology departments commonly set them.
const presets: Record<string, Window & { label: MessageKey }> = {
  lung: { center: -600, width: 1500, label: 'imaging.preset_lung' },
  bone: { center: 400, width: 1800, label: 'imaging.preset_bone' },
  brain: { center: 40, width: 80, label: 'imaging.preset_brain' },
  abdomen: { center: 40, width: 400, label: 'imaging.preset_abdomen' },
};

const canvasSize = 512;
const frameIntervalMs = 100; // playing: the next frame this long after one is drawn
const keptPictures = 64;

export function renderedPath(study: string, series: string, sop: string, frame: number, frames: number, w: Window | null) {
  const base = instancePath(study, series, sop);
  const path = frames > 1 ? `${base}/frames/${frame}/rendered` : `${base}/rendered`;
  return w ? `${path}?window=${Math.round(w.center)},${Math.max(1, Math.round(w.width))},linear` : path;
}

// The file's own first window (Window Center and Width), when it has one.
function ownWindow(ds: DicomJson | undefined): Window | null {
  const center = numberOf(ds, '00281050');
  const width = numberOf(ds, '00281051');
  return center !== null && width !== null && width > 0 ? { center, width } : null;
}

export default function Viewer(props: { study: string; series: string }) {
  const { study, series } = props;
  const list = useApi<DicomJson[]>(`${seriesPath(study, series)}/instances`);
  const instances = [...(list.data ?? [])].sort(byNumber((i) => numberOf(i, '00200013')));
  const first = instances[0];
  const number = text(first, '00200011') || '?';
  return (
    <Page title={t('imaging.viewer_title', { number })}>
      <p>
        <a href={`/imaging/studies/${encodeURIComponent(study)}`}>{t('imaging.back_to_studies')}</a>
      </p>
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {instances.length > 0 && <Workspace study={study} series={series} instances={instances} />}
    </Page>
  );
}

function Workspace(props: { study: string; series: string; instances: DicomJson[] }) {
  const { study, series, instances } = props;
  const count = instances.length;
  const [index, setIndex] = useState(0);
  const [frame, setFrame] = useState(1);
  const [playing, setPlaying] = useState(false);
  const [voi, setVoi] = useState<Window | null>(null);
  const [preset, setPreset] = useState('');
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [tool, setTool] = useState<'window' | 'pan'>('window');
  const instance = instances[index];
  const sop = text(instance, '00080018');
  const frames = Math.max(1, numberOf(instance, '00280008') ?? 1);
  const metadata = useApi<DicomJson[]>(`${instancePath(study, series, sop)}/metadata`);
  const dataset = metadata.data?.[0];
  const path = renderedPath(study, series, sop, frame, frames, voi);
  const picture = usePicture(path);

  const go = (next: number) => {
    setIndex(Math.min(count - 1, Math.max(0, next)));
    setFrame(1);
    setPlaying(false);
  };
  // Playing: the next frame once this one is drawn, so a slow server is never asked twice.
  useEffect(() => {
    if (!playing || !picture.bitmap) return undefined;
    const timer = setTimeout(() => setFrame((f) => (f % frames) + 1), frameIntervalMs);
    return () => clearTimeout(timer);
  }, [playing, picture.bitmap, frames]);

  const shown = voi ?? ownWindow(dataset);
  const choosePreset = (name: string) => {
    setPreset(name);
    setVoi(name ? { center: presets[name].center, width: presets[name].width } : null);
  };
  const zoomBy = (factor: number) => setZoom((z) => Math.min(16, Math.max(0.25, z * factor)));
  const reset = () => {
    setZoom(1);
    setPan({ x: 0, y: 0 });
    choosePreset('');
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const moves: Record<string, number> = {
      ArrowDown: 1,
      ArrowRight: 1,
      PageDown: 10,
      ArrowUp: -1,
      ArrowLeft: -1,
      PageUp: -10,
    };
    if (e.key in moves) go(index + moves[e.key]);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(count - 1);
    else if (e.key === '+') zoomBy(1.25);
    else if (e.key === '-') zoomBy(0.8);
    else return;
    e.preventDefault();
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    if (e.ctrlKey) zoomBy(e.deltaY < 0 ? 1.1 : 1 / 1.1);
    else if (e.deltaY !== 0) go(index + (e.deltaY > 0 ? 1 : -1));
  };
  const drag = useDrag((dx, dy, start) => {
    if (tool === 'pan') {
      setPan({ x: start.pan.x + dx, y: start.pan.y + dy });
      return;
    }
    const base = start.window ?? { center: 40, width: 400 };
    const step = Math.max(1, base.width / 256); // a pixel moves the window more when it is wide
    setPreset('');
    setVoi({ center: base.center - dy * step, width: Math.max(1, base.width + dx * step) });
  }, () => ({ pan, window: shown }));

  return (
    <>
      <section class="panel viewer" aria-labelledby="viewer-image">
        <h2 id="viewer-image" class="visually-hidden">
          {t('imaging.viewer_label', { index: formatNumber(index + 1), count: formatNumber(count) })}
        </h2>
        <p class="hint" id="viewer-help">
          {t('imaging.viewer_help')}
        </p>
        <div class="viewer-body">
          <Canvas
            bitmap={picture.bitmap}
            drawn={picture.path}
            zoom={zoom}
            pan={pan}
            label={t('imaging.viewer_label', { index: formatNumber(index + 1), count: formatNumber(count) })}
            onKeyDown={onKeyDown}
            onWheel={onWheel}
            drag={drag}
            grabbing={tool === 'pan'}
          />
          <div class="viewer-tools">
            <Slider
              label={t('imaging.instance')}
              value={index + 1}
              max={count}
              onChange={(n) => go(n - 1)}
              text={t('imaging.instance_of', { index: formatNumber(index + 1), count: formatNumber(count) })}
            />
            {frames > 1 && (
              <>
                <Slider
                  label={t('imaging.frame')}
                  value={frame}
                  max={frames}
                  onChange={setFrame}
                  text={t('imaging.frame_of', { index: formatNumber(frame), count: formatNumber(frames) })}
                />
                <button type="button" class="button" aria-pressed={playing} onClick={() => setPlaying(!playing)}>
                  {playing ? t('imaging.pause') : t('imaging.play')}
                </button>
              </>
            )}
            <Select
              label={t('imaging.tool')}
              value={tool}
              onChange={(v) => setTool(v === 'pan' ? 'pan' : 'window')}
              choices={[
                { value: 'window', label: t('imaging.tool_window') },
                { value: 'pan', label: t('imaging.tool_pan') },
              ]}
            />
            <Select
              label={t('imaging.preset')}
              value={preset}
              onChange={choosePreset}
              choices={[
                { value: '', label: t('imaging.preset_default') },
                ...Object.entries(presets).map(([value, p]) => ({ value, label: t(p.label) })),
              ]}
            />
            <p class="viewer-window" data-testid="window">
              {t('imaging.window')}:{' '}
              {shown
                ? t('imaging.window_value', { center: Math.round(shown.center), width: Math.round(shown.width) })
                : t('imaging.window_default')}
            </p>
            <div class="actions">
              <button type="button" class="button" onClick={() => zoomBy(1.25)}>
                {t('imaging.zoom_in')}
              </button>
              <button type="button" class="button" onClick={() => zoomBy(0.8)}>
                {t('imaging.zoom_out')}
              </button>
              <button type="button" class="button" onClick={reset}>
                {t('imaging.reset')}
              </button>
            </div>
            <p class="hint">{t('imaging.zoom', { percent: `${Math.round(zoom * 100)}%` })}</p>
            <DownloadInstance study={study} series={series} sop={sop} />
          </div>
        </div>
        {picture.error && <Messages error={t('imaging.render_failed', { message: picture.error })} />}
      </section>
      {metadata.error && <Messages error={metadata.error} />}
      {dataset && <TagBrowser dataset={dataset} />}
    </>
  );
}

function Slider(props: { label: string; value: number; max: number; text: string; onChange(n: number): void }) {
  return (
    <div class="field">
      <label>
        {props.label}
        <input
          type="range"
          min={1}
          max={props.max}
          value={props.value}
          aria-valuetext={props.text}
          onInput={(e) => props.onChange(Number(e.currentTarget.value))}
        />
      </label>
      <span class="hint">{props.text}</span>
    </div>
  );
}

function Canvas(props: {
  bitmap: ImageBitmap | null;
  drawn: string | null;
  zoom: number;
  pan: { x: number; y: number };
  label: string;
  grabbing: boolean;
  onKeyDown(e: KeyboardEvent): void;
  onWheel(e: WheelEvent): void;
  drag: DragHandlers;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { bitmap, zoom, pan } = props;
  useEffect(() => {
    const c = canvas.current;
    const g = c?.getContext('2d');
    if (!c || !g) return;
    g.fillStyle = '#000';
    g.fillRect(0, 0, c.width, c.height);
    if (!bitmap) return;
    const scale = Math.min(c.width / bitmap.width, c.height / bitmap.height) * zoom;
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    g.drawImage(bitmap, (c.width - w) / 2 + pan.x, (c.height - h) / 2 + pan.y, w, h);
    // What the canvas shows now, for tests and tools that read its pixels back.
    c.dataset.drawn = props.drawn ?? '';
  }, [bitmap, zoom, pan.x, pan.y]);
  // The wheel listener is added by hand: it must not be passive, or the page would scroll too.
  const onWheel = useRef(props.onWheel);
  onWheel.current = props.onWheel;
  useEffect(() => {
    const c = canvas.current;
    const listener = (e: WheelEvent) => onWheel.current(e);
    c?.addEventListener('wheel', listener, { passive: false });
    return () => c?.removeEventListener('wheel', listener);
  }, []);
  return (
    <canvas
      ref={canvas}
      class={props.grabbing ? 'viewer-canvas viewer-canvas-pan' : 'viewer-canvas'}
      width={canvasSize}
      height={canvasSize}
      tabIndex={0}
      role="img"
      aria-label={props.label}
      aria-describedby="viewer-help"
      onKeyDown={props.onKeyDown}
      onPointerDown={props.drag.onPointerDown}
      onPointerMove={props.drag.onPointerMove}
      onPointerUp={props.drag.onPointerUp}
      onPointerCancel={props.drag.onPointerUp}
    />
  );
}

interface DragHandlers {
  onPointerDown(e: PointerEvent): void;
  onPointerMove(e: PointerEvent): void;
  onPointerUp(e: PointerEvent): void;
}

// A drag on the canvas: onMove(dx, dy, what was there when it started).
function useDrag<S>(onMove: (dx: number, dy: number, start: S) => void, snapshot: () => S): DragHandlers {
  const from = useRef<{ x: number; y: number; start: S } | null>(null);
  return {
    onPointerDown(e) {
      (e.currentTarget as Element).setPointerCapture(e.pointerId);
      from.current = { x: e.clientX, y: e.clientY, start: snapshot() };
    },
    onPointerMove(e) {
      if (from.current) onMove(e.clientX - from.current.x, e.clientY - from.current.y, from.current.start);
    },
    onPointerUp() {
      from.current = null;
    },
  };
}

// The picture at path, fetched with the token, decoded once and kept (the last few dozen), so
// scrolling back is instant. While a new one loads the previous stays on the canvas; answers
// that arrive after a newer path was asked for are kept but not shown.
function usePicture(path: string): { bitmap: ImageBitmap | null; path: string | null; error: string | null } {
  const kept = useRef(new Map<string, ImageBitmap>());
  const [shown, setShown] = useState<{ bitmap: ImageBitmap | null; path: string | null; error: string | null }>({
    bitmap: null,
    path: null,
    error: null,
  });
  useEffect(() => {
    const cached = kept.current.get(path);
    if (cached) {
      setShown({ bitmap: cached, path, error: null });
      return undefined;
    }
    let live = true;
    // A short wait: a drag or a fast scroll asks only for where it stops.
    const timer = setTimeout(() => {
      fetchPicture(path)
        .then((blob) => createImageBitmap(blob))
        .then(
          (bitmap) => {
            kept.current.set(path, bitmap);
            if (kept.current.size > keptPictures) {
              const oldest = kept.current.keys().next().value;
              if (oldest !== undefined) kept.current.delete(oldest);
            }
            if (live) setShown({ bitmap, path, error: null });
          },
          (e: unknown) => {
            if (live) setShown((s) => ({ ...s, error: e instanceof Error ? e.message : String(e) }));
          },
        );
    }, 40);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path]);
  return shown;
}

function DownloadInstance(props: { study: string; series: string; sop: string }) {
  const action = useAction();
  const save = () =>
    action.run(async () => {
      const file = `${props.sop}.dcm`;
      saveBlob(await download(instancePath(props.study, props.series, props.sop), 'GET', 'application/dicom'), file);
      return t('imaging.saved', { file });
    });
  return (
    <>
      <button type="button" class="button" onClick={() => void save()} aria-disabled={action.busy}>
        {t('imaging.download_instance')}
      </button>
      <Messages error={action.error} status={action.status} />
    </>
  );
}
