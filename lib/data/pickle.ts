/**
 * A small reader of Python pickles (protocols 0-5, binary opcodes) sufficient for CIFAR-10's
 * `cifar-10-batches-py` files: dicts, lists, tuples, strings, bytes, ints, and NumPy arrays rebuilt from
 * `numpy.core.multiarray._reconstruct` + `numpy.dtype` + BUILD state. Nothing is executed: a global other
 * than those few is an error. Arrays come back as {@link PickledArray}.
 * @module
 */
import { msg } from '../messages';

/** A NumPy array from a pickle: the dtype string (e.g. `u1`, `<i8`), shape and raw C-order bytes. */
export interface PickledArray {
  /** Marks the record as an array. */
  kind: 'ndarray';
  /** NumPy dtype name, e.g. `u1`. */
  dtype: string;
  /** Dimensions. */
  shape: number[];
  /** The raw bytes, C order. */
  bytes: Uint8Array;
}

type Value = unknown;
interface Global {
  global: string;
}
interface Dtype {
  kind: 'dtype';
  name: string;
}
interface Reconstructing {
  kind: 'reconstruct';
  array?: PickledArray;
}

const MARK = Symbol('mark');

function callGlobal(fn: Global, args: Value[], bad: (w: string) => Error): Value {
  switch (fn.global) {
    case 'numpy.core.multiarray._reconstruct':
    case 'numpy._core.multiarray._reconstruct':
      return { kind: 'reconstruct' } satisfies Reconstructing;
    case 'numpy.dtype':
      return { kind: 'dtype', name: String(args[0]) } satisfies Dtype;
    case '_codecs.encode': {
      // Python 3 pickles bytes for protocol < 3 as _codecs.encode(str, 'latin1')
      const s = args[0];
      if (typeof s !== 'string') throw bad('_codecs.encode of a non-string');
      return Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff);
    }
    default:
      throw bad(`refuses to call ${fn.global} (only the NumPy array globals of CIFAR-10's pickles are read)`);
  }
}

function build(obj: Value, state: Value, bad: (w: string) => Error): Value {
  const r = obj as Reconstructing | Dtype;
  if (r && (r as Reconstructing).kind === 'reconstruct') {
    // ndarray state: (version, shape, dtype, is_fortran, raw data)
    const st = state as Value[];
    const shape = st[1] as number[];
    const dt = st[2] as Dtype;
    const raw = st[4];
    if (!Array.isArray(shape) || dt?.kind !== 'dtype' || st[3] !== false) throw bad('unsupported NumPy array state (expected a C-order array)');
    const bytes = typeof raw === 'string' ? Uint8Array.from(raw, (ch) => ch.charCodeAt(0) & 0xff) : (raw as Uint8Array);
    if (!(bytes instanceof Uint8Array)) throw bad('NumPy array data is not a byte string');
    (r as Reconstructing).array = { kind: 'ndarray', dtype: dt.name, shape, bytes };
    return r;
  }
  if (r && (r as Dtype).kind === 'dtype') return r; // dtype state (byte order etc.): '|' for u1
  throw bad('BUILD on an unsupported object');
}

const finish = (v: Value): Value => {
  if (v && typeof v === 'object' && (v as Reconstructing).kind === 'reconstruct') return (v as Reconstructing).array;
  if (Array.isArray(v)) return v.map(finish);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, finish(x)]));
  return v;
};

/**
 * Parses pickle bytes. Dicts come back as `Map`, str as `string`, Python 2 str (latin-1 byte strings) as
 * `string`, bytes as `Uint8Array`, NumPy arrays as {@link PickledArray}. `file` names the source in errors.
 * @example const batch = parsePickle(fs.readFileSync('cifar-10-batches-py/test_batch')) as Map<string, unknown>;
 */
export function parsePickle(buf: Uint8Array, file = '<buffer>'): Value {
  const bad = (what: string) => new Error(msg.dataCorrupt(file, `not a readable CIFAR-10 pickle: ${what}`));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: Value[] = [];
  const memo: Value[] = [];
  let p = 0;
  const need = (k: number) => {
    if (p + k > buf.length) throw bad(`truncated at byte ${p} (needs ${k} more, file has ${buf.length - p})`);
  };
  const u8 = () => (need(1), buf[p++]);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const bytes = (k: number) => (need(k), (p += k), buf.subarray(p - k, p));
  const line = () => {
    const e = buf.indexOf(10, p);
    if (e < 0) throw bad('truncated text opcode');
    const s = Buffer.from(buf.subarray(p, e)).toString('latin1');
    p = e + 1;
    return s;
  };
  const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  const popMark = (): Value[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw bad('MARK missing');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = () => {
    if (stack.length === 0) throw bad('stack underflow');
    return stack[stack.length - 1];
  };
  const pop = () => {
    if (stack.length === 0) throw bad('stack underflow');
    return stack.pop();
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: bytes(8); break; // FRAME
      case 0x2e: return finish(pop()); // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1: little-endian two's complement
        const b = bytes(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(Number(v));
        break;
      }
      case 0x55: stack.push(latin1(bytes(u8()))); break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: stack.push(latin1(bytes(u32()))); break; // BINSTRING
      case 0x8c: stack.push(utf8(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x58: stack.push(utf8(bytes(u32()))); break; // BINUNICODE
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x63: stack.push({ global: `${line()}.${line()}` } satisfies Global); break; // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const mod = pop();
        stack.push({ global: `${String(mod)}.${String(name)}` } satisfies Global);
        break;
      }
      case 0x71: memo[u8()] = top(); break; // BINPUT
      case 0x72: memo[u32()] = top(); break; // LONG_BINPUT
      case 0x94: memo.push(top()); break; // MEMOIZE
      case 0x68: stack.push(memo[u8()]); break; // BINGET
      case 0x6a: stack.push(memo[u32()]); break; // LONG_BINGET
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x61: { const v = pop(); (top() as Value[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (top() as Value[]).push(...items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); (top() as Map<Value, Value>).set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top() as Map<Value, Value>;
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x52: { // REDUCE
        const args = pop() as Value[];
        const fn = pop() as Global;
        if (!fn || typeof fn.global !== 'string') throw bad('REDUCE on a non-global');
        stack.push(callGlobal(fn, args, bad));
        break;
      }
      case 0x62: { const state = pop(); stack.push(build(pop(), state, bad)); break; } // BUILD
      // protocol 0 text opcodes (older pickles)
      case 0x49: { // INT: '00' and '01' are False and True
        const t = line();
        stack.push(t === '00' ? false : t === '01' ? true : Number.parseInt(t, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(line().replace(/L$/, ''), 10)); break; // LONG
      case 0x53: stack.push(JSON.parse(line().replace(/^'(.*)'$/, '"$1"'))); break; // STRING (simple quoted text only)
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII keys here)
      case 0x70: memo[Number(line())] = top(); break; // PUT
      case 0x67: stack.push(memo[Number(line())]); break; // GET
      case 0x64: { // DICT
        const items = popMark();
        const d = new Map<Value, Value>();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x6c: stack.push(popMark()); break; // LIST
      default:
        throw bad(`unsupported opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}
