/**
 * A test-only TensorBoard event-file writer: protocol buffer encoding of the few messages the parser
 * reads, and TFRecord framing. Independent of the parser except for the CRC, which the tests check
 * against the CRC-32C check value and the real corpus file.
 */
import { maskedCrc32c } from '../../src/engine/logs/tfevents';
import { concatBytes } from './fixtures';

export const DT_FLOAT = 1;
export const DT_DOUBLE = 2;
export const DT_STRING = 7;
export const DT_HALF = 19;

/** Varint of an int64 (negative numbers as 10-byte two's complement). */
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, payload: ArrayLike<number>) => [...key(field, 2), ...varint(payload.length), ...Array.from(payload)];
const varintField = (field: number, n: number | bigint) => [...key(field, 0), ...varint(n)];
const utf8 = (s: string) => Array.from(new TextEncoder().encode(s));

function f32(v: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return Array.from(b);
}

function f64(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return Array.from(b);
}

/** Float16 bits of a value exactly representable in half precision (tests use such values). */
export function halfBits(v: number): number {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const exponent = Math.floor(Math.log2(a));
  if (exponent < -14) return sign | Math.round(a / 2 ** -24); // subnormal
  return sign | ((exponent + 15) << 10) | Math.round((a / 2 ** exponent - 1) * 1024);
}

export interface TensorSpec {
  readonly dtype: number;
  /** Dim sizes; [] for a scalar. */
  readonly shape?: readonly number[];
  readonly floatVal?: readonly number[];
  /** Write float_val unpacked (one fixed32 field per value) instead of packed. */
  readonly unpacked?: boolean;
  readonly doubleVal?: readonly number[];
  readonly halfVal?: readonly number[];
  readonly content?: ArrayLike<number>;
  readonly stringVal?: string;
}

export type ValueSpec =
  | { readonly tag: string; readonly simple: number }
  | { readonly tag: string; readonly tensor: TensorSpec; readonly plugin?: string }
  | { readonly tag: string; readonly image: true }
  | { readonly tag: string; readonly histo: true };

function tensor(t: TensorSpec): number[] {
  const out = [...varintField(1, t.dtype)];
  const shape = (t.shape ?? []).flatMap((size) => bytesField(2, varintField(1, size)));
  out.push(...bytesField(2, shape));
  if (t.content) out.push(...bytesField(4, t.content));
  if (t.floatVal) {
    if (t.unpacked) for (const v of t.floatVal) out.push(...key(5, 5), ...f32(v));
    else out.push(...bytesField(5, t.floatVal.flatMap(f32)));
  }
  if (t.doubleVal) out.push(...bytesField(6, t.doubleVal.flatMap(f64)));
  if (t.stringVal !== undefined) out.push(...bytesField(8, utf8(t.stringVal)));
  if (t.halfVal) out.push(...bytesField(13, t.halfVal.flatMap((v) => varint(halfBits(v)))));
  return out;
}

function value(v: ValueSpec): number[] {
  const out = bytesField(1, utf8(v.tag));
  if ('simple' in v) out.push(...key(2, 5), ...f32(v.simple));
  if ('image' in v) out.push(...bytesField(4, [...varintField(1, 2), ...varintField(2, 2)]));
  if ('histo' in v) out.push(...bytesField(5, [...key(1, 1), ...f64(0), ...key(2, 1), ...f64(1)]));
  if ('tensor' in v) {
    if (v.plugin !== undefined) out.push(...bytesField(9, bytesField(1, bytesField(1, utf8(v.plugin)))));
    out.push(...bytesField(8, tensor(v.tensor)));
  }
  return out;
}

export interface EventSpec {
  readonly wallTime: number;
  readonly step?: number | bigint;
  readonly fileVersion?: string;
  /** A stand-in graph_def payload of this many bytes. */
  readonly graphBytes?: number;
  readonly values?: readonly ValueSpec[];
}

/** The protocol buffer bytes of one `Event`. */
export function eventBytes(e: EventSpec): Uint8Array {
  const out = [...key(1, 1), ...f64(e.wallTime)];
  if (e.step !== undefined) out.push(...varintField(2, e.step));
  if (e.fileVersion !== undefined) out.push(...bytesField(3, utf8(e.fileVersion)));
  if (e.graphBytes !== undefined) out.push(...bytesField(4, Array.from({ length: e.graphBytes }, (_, i) => i % 251)));
  if (e.values) out.push(...bytesField(5, e.values.flatMap((v) => bytesField(1, value(v)))));
  return Uint8Array.from(out);
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function record(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, true);
  view.setUint32(4, 0, true);
  view.setUint32(8, maskedCrc32c(out, 0, 8), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** A whole event file: a file-version record, then one record per event. */
export function eventFile(events: readonly EventSpec[], firstWallTime = 1_700_000_000): Uint8Array {
  return concatBytes([record(eventBytes({ wallTime: firstWallTime, fileVersion: 'brain.Event:2' })), ...events.map((e) => record(eventBytes(e)))]);
}

/** Events of scalar `simple_value`s: one event per step, every tag at each step. */
export function scalarEvents(tags: Readonly<Record<string, readonly number[]>>, firstStep = 0, wallTime0 = 1_700_000_000): EventSpec[] {
  const steps = Math.max(...Object.values(tags).map((v) => v.length));
  return Array.from({ length: steps }, (_, i) => ({
    wallTime: wallTime0 + i,
    step: firstStep + i,
    values: Object.entries(tags).filter(([, v]) => i < v.length).map(([tag, v]) => ({ tag, simple: v[i] })),
  }));
}
