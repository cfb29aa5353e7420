import type { Run } from '../types';
import type { LogFormat, LogParser } from './parser';
import { RunBuilder } from './series-builder';

/**
 * TensorBoard event files (`events.out.tfevents.*`): TFRecord framing around `Event` protocol buffers.
 * Each record is `uint64 length`, `masked CRC-32C(length)`, `data`, `masked CRC-32C(data)`, all little
 * endian. Scalars come from `simple_value` (PyTorch, TF1) and from one-element float tensors (TF2
 * `tf.summary.scalar`: `float_val`, `double_val`, `half_val` or `tensor_content`); images, histograms,
 * text and graphs are skipped.
 *
 * There are no lines in a binary file: a point's `line` is the 1-based index of the record it was read
 * from (the first record, the file-version event, is record 1).
 */

const FILE_NAME = /(?:^|[\\/])events\.out\.tfevents\.[^\\/]*$/;
const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;
/** A record longer than this is taken for corruption rather than allocated (real graphs are far smaller). */
const MAX_RECORD_BYTES = 1 << 30;

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_HALF = 19;

// ---------------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli), as TFRecord uses it.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli polynomial, reflected) of `bytes[start, end)`. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The masked CRC-32C TFRecord stores, so that a CRC of data holding CRCs stays well distributed. */
export function maskedCrc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const crc = crc32c(bytes, start, end);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** The record length at `at` when its header checks out, else -1. Needs {@link HEADER_BYTES} bytes. */
function recordLength(bytes: Uint8Array, at: number): number {
  if (maskedCrc32c(bytes, at, at + 8) !== readUint32(bytes, at + 8)) return -1;
  const length = readUint32(bytes, at) + readUint32(bytes, at + 4) * 0x100000000;
  return length > MAX_RECORD_BYTES ? -1 : length;
}

// ---------------------------------------------------------------------------------------------------
// Protocol buffer wire format: just enough to walk Event → Summary → Value → TensorProto.

class ProtoError extends Error {}

const UTF8 = new TextDecoder('utf-8');

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** Scratch space for reading floats: cheaper than a DataView per (small, numerous) message. */
const SCRATCH = new DataView(new ArrayBuffer(8));
const SCRATCH_BYTES = new Uint8Array(SCRATCH.buffer);

class ProtoReader {
  pos: number;

  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint as a number (exact below 2^53). */
  uvarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('varint runs past the end');
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  /** A two's-complement int64 varint as a number (exact within ±2^53; negative steps exist in the wild). */
  int64(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (i === 10) throw new ProtoError('varint longer than 10 bytes');
      if (this.pos >= this.end) throw new ProtoError('varint runs past the end');
      const b = this.bytes[this.pos++] & 0x7f;
      if (i < 4) lo |= b << (7 * i);
      else if (i === 4) {
        lo |= b << 28;
        hi |= b >>> 4;
      } else hi |= b << (7 * i - 32);
      if (this.bytes[this.pos - 1] < 0x80) break;
    }
    return hi * 0x100000000 + (lo >>> 0);
  }

  double(): number {
    this.need(8);
    for (let i = 0; i < 8; i++) SCRATCH_BYTES[i] = this.bytes[this.pos + i];
    this.pos += 8;
    return SCRATCH.getFloat64(0, true);
  }

  float(): number {
    this.need(4);
    for (let i = 0; i < 4; i++) SCRATCH_BYTES[i] = this.bytes[this.pos + i];
    this.pos += 4;
    return SCRATCH.getFloat32(0, true);
  }

  /** A length-delimited field's extent, as [start, end) into the same bytes. */
  delimited(): [number, number] {
    const length = this.uvarint();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  sub(): ProtoReader {
    const [start, end] = this.delimited();
    return new ProtoReader(this.bytes, start, end);
  }

  string(): string {
    const [start, end] = this.delimited();
    return UTF8.decode(this.bytes.subarray(start, end));
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT: this.uvarint(); return;
      case WIRE_FIXED64: this.need(8); this.pos += 8; return;
      case WIRE_BYTES: this.delimited(); return;
      case WIRE_FIXED32: this.need(4); this.pos += 4; return;
      default: throw new ProtoError(`unsupported wire type ${wire}`);
    }
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new ProtoError('field runs past the end');
  }
}

/** IEEE 754 half precision from its 16 bits. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** The first element of a one-element float tensor, or undefined for anything else (images, histograms). */
function readScalarTensor(r: ProtoReader): number | undefined {
  let dtype = 0;
  let elements = 1;
  const values: number[] = [];
  let content: [number, number] | undefined;
  while (!r.done) {
    const key = r.uvarint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === WIRE_VARINT) dtype = r.uvarint();
    else if (field === 2 && wire === WIRE_BYTES) elements = shapeElements(r.sub());
    else if (field === 4 && wire === WIRE_BYTES) {
      content = r.delimited();
    } else if (field === 5 || field === 6 || field === 13) readRepeated(r, field, wire, values);
    else r.skip(wire);
  }
  if (elements !== 1) return undefined;
  if (dtype !== DT_FLOAT && dtype !== DT_DOUBLE && dtype !== DT_HALF) return undefined;
  if (content && content[1] > content[0]) {
    const view = new DataView(r.bytes.buffer, r.bytes.byteOffset + content[0], content[1] - content[0]);
    if (dtype === DT_FLOAT && view.byteLength >= 4) return view.getFloat32(0, true);
    if (dtype === DT_DOUBLE && view.byteLength >= 8) return view.getFloat64(0, true);
    if (dtype === DT_HALF && view.byteLength >= 2) return float16ToNumber(view.getUint16(0, true));
    return undefined;
  }
  return values.length > 0 ? values[0] : undefined;
}

/** `float_val` (5), `double_val` (6) and `half_val` (13, float16 bits in an int32), packed or not. */
function readRepeated(r: ProtoReader, field: number, wire: number, out: number[]): void {
  const one = (reader: ProtoReader) =>
    field === 5 ? reader.float() : field === 6 ? reader.double() : float16ToNumber(reader.uvarint() & 0xffff);
  const scalarWire = field === 5 ? WIRE_FIXED32 : field === 6 ? WIRE_FIXED64 : WIRE_VARINT;
  if (wire === WIRE_BYTES) {
    const packed = r.sub();
    while (!packed.done) out.push(one(packed));
  } else if (wire === scalarWire) {
    out.push(one(r));
  } else {
    r.skip(wire);
  }
}

/** Number of elements of a `TensorShapeProto`: the product of its dims (no dims: a scalar, 1). */
function shapeElements(r: ProtoReader): number {
  let elements = 1;
  while (!r.done) {
    const key = r.uvarint();
    if (key === ((2 << 3) | WIRE_BYTES)) {
      const dim = r.sub();
      let size = 1;
      while (!dim.done) {
        const k = dim.uvarint();
        if (k === ((1 << 3) | WIRE_VARINT)) size = dim.int64();
        else dim.skip(k & 7);
      }
      elements *= size;
    } else if (key === ((3 << 3) | WIRE_VARINT)) {
      if (r.uvarint() !== 0) elements = NaN; // unknown rank: not a scalar we can trust
    } else {
      r.skip(key & 7);
    }
  }
  return elements;
}

/** `SummaryMetadata.plugin_data.plugin_name`, or undefined. */
function readPluginName(r: ProtoReader): string | undefined {
  let name: string | undefined;
  while (!r.done) {
    const key = r.uvarint();
    if (key === ((1 << 3) | WIRE_BYTES)) {
      const plugin = r.sub();
      while (!plugin.done) {
        const k = plugin.uvarint();
        if (k === ((1 << 3) | WIRE_BYTES)) name = plugin.string();
        else plugin.skip(k & 7);
      }
    } else {
      r.skip(key & 7);
    }
  }
  return name;
}

// ---------------------------------------------------------------------------------------------------
// The format and its parser.

export const tfEvents: LogFormat = {
  id: 'tfevents',
  binary: true,
  sniff(_head, fileName, bytes) {
    if (FILE_NAME.test(fileName)) return true;
    if (bytes.length < HEADER_BYTES) return false;
    const length = recordLength(bytes, 0);
    if (length < 0) return false;
    const end = HEADER_BYTES + length;
    // When the whole first record is at hand its data CRC must check too.
    return end + FOOTER_BYTES > bytes.length || maskedCrc32c(bytes, HEADER_BYTES, end) === readUint32(bytes, end);
  },
  create(source) {
    return new TfEventsParser(source);
  },
};

/** Keras' TensorBoard callback writes `epoch_loss` at step = 0-based epoch. */
const KERAS_EPOCH_TAG = /^epoch_(.+)$/;

class TfEventsParser implements LogParser {
  readonly format = tfEvents.id;
  private readonly run: RunBuilder;
  /** Bytes received but not yet consumed: the start of a record still arriving. */
  private parts: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Bytes needed at the start of `parts` before the next record can be read. */
  private need = HEADER_BYTES;
  /** File offset of the first pending byte. */
  private offset = 0;
  private records = 0;
  private invalidRecords = 0;
  private stopped: string | undefined;
  private finished = false;
  /** Plugin named by a tag's first value (TF2 writes metadata only once per tag). */
  private readonly plugins = new Map<string, string>();

  constructor(source: string) {
    this.run = new RunBuilder(source, tfEvents.id, 0);
  }

  feed(chunk: string | Uint8Array): void {
    if (typeof chunk === 'string') throw new TypeError('tfevents is a binary format');
    if (this.stopped !== undefined || this.finished || chunk.length === 0) return;
    if (this.pendingBytes + chunk.length < this.need) {
      // The caller may reuse its buffer: keep a copy.
      this.parts.push(new Uint8Array(chunk));
      this.pendingBytes += chunk.length;
      return;
    }
    let bytes: Uint8Array;
    if (this.parts.length === 0) {
      bytes = chunk;
    } else {
      bytes = new Uint8Array(this.pendingBytes + chunk.length);
      let at = 0;
      for (const part of this.parts) {
        bytes.set(part, at);
        at += part.length;
      }
      bytes.set(chunk, at);
    }
    const consumed = this.consume(bytes);
    this.parts = consumed < bytes.length && this.stopped === undefined ? [new Uint8Array(bytes.subarray(consumed))] : [];
    this.pendingBytes = this.parts.length > 0 ? bytes.length - consumed : 0;
  }

  finish(): void {
    this.finished = true;
  }

  runs(): Run[] {
    return this.run.isEmpty ? [] : [this.run.snapshot(this.notes())];
  }

  notes(): string[] {
    const notes: string[] = [];
    const read = `${this.records} record${this.records === 1 ? '' : 's'} read`;
    if (this.stopped !== undefined) notes.push(`stopped at ${this.stopped} at byte ${this.offset}; ${read}`);
    else if (this.finished && this.pendingBytes > 0) notes.push(`the last record is cut short at byte ${this.offset} (${this.pendingBytes} bytes of it present); ${read}`);
    if (this.invalidRecords > 0) {
      notes.push(`skipped ${this.invalidRecords} record${this.invalidRecords === 1 ? '' : 's'} that did not hold a valid event`);
    }
    return notes;
  }

  /** Reads every complete record of `bytes`; returns how many bytes were consumed. */
  private consume(bytes: Uint8Array): number {
    let at = 0;
    for (;;) {
      if (bytes.length - at < HEADER_BYTES) {
        this.need = HEADER_BYTES;
        return at;
      }
      const length = recordLength(bytes, at);
      if (length < 0) {
        this.stopped = 'a corrupt record header';
        return at;
      }
      const end = at + HEADER_BYTES + length;
      if (bytes.length < end + FOOTER_BYTES) {
        this.need = HEADER_BYTES + length + FOOTER_BYTES;
        return at;
      }
      if (maskedCrc32c(bytes, at + HEADER_BYTES, end) !== readUint32(bytes, end)) {
        this.stopped = 'a corrupt record (bad data checksum)';
        return at;
      }
      this.records++;
      try {
        this.event(new ProtoReader(bytes, at + HEADER_BYTES, end), this.records);
      } catch (error) {
        if (!(error instanceof ProtoError)) throw error;
        this.invalidRecords++;
      }
      at = end + FOOTER_BYTES;
      this.offset += HEADER_BYTES + length + FOOTER_BYTES;
    }
  }

  /** One `Event`: wall_time (1), step (2), summary (5); the rest (file_version, graph_def, ...) skipped. */
  private event(r: ProtoReader, record: number): void {
    let wallTime = NaN;
    let step = NaN;
    let summary: ProtoReader | undefined;
    while (!r.done) {
      const key = r.uvarint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === 1 && wire === WIRE_FIXED64) wallTime = r.double();
      else if (field === 2 && wire === WIRE_VARINT) step = r.int64();
      else if (field === 5 && wire === WIRE_BYTES) summary = r.sub();
      else r.skip(wire);
    }
    if (!summary) return;
    // Points are added only once the whole summary has parsed, so a bad record adds nothing.
    const points: [string, number][] = [];
    while (!summary.done) {
      const key = summary.uvarint();
      if (key === ((1 << 3) | WIRE_BYTES)) {
        const point = this.value(summary.sub());
        if (point) points.push(point);
      } else {
        summary.skip(key & 7);
      }
    }
    for (const [tag, value] of points) {
      const keras = KERAS_EPOCH_TAG.exec(tag);
      if (keras) this.run.add(keras[1], step + 1, step, value, record, wallTime);
      else this.run.add(tag, NaN, step, value, record, wallTime);
    }
  }

  /** One `Summary.Value`: its tag and scalar, or undefined when it holds no scalar. */
  private value(r: ProtoReader): [string, number] | undefined {
    let tag = '';
    let simple: number | undefined;
    let tensor: number | undefined;
    let plugin: string | undefined;
    while (!r.done) {
      const key = r.uvarint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === 1 && wire === WIRE_BYTES) tag = r.string();
      else if (field === 2 && wire === WIRE_FIXED32) simple = r.float();
      else if (field === 8 && wire === WIRE_BYTES) tensor = readScalarTensor(r.sub());
      else if (field === 9 && wire === WIRE_BYTES) plugin = readPluginName(r.sub());
      else r.skip(wire); // image, histo, audio: not scalars
    }
    if (plugin !== undefined && tag !== '') this.plugins.set(tag, plugin);
    if (tag === '') return undefined;
    if (simple !== undefined) return [tag, simple];
    const known = this.plugins.get(tag);
    if (tensor !== undefined && (known === undefined || known === 'scalars')) return [tag, tensor];
    return undefined;
  }
}
