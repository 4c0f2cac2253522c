// A minimal ustar writer/reader over zlib gzip: enough for the double's backup archives
// (regular files and directories), with no dependency. Long names use the ustar prefix field.
import { gzipSync, gunzipSync } from 'node:zlib';

const BLOCK = 512;

function octal(value, width) {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function splitName(name) {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  const cut = name.lastIndexOf('/', name.length - 1);
  for (let i = cut; i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { name: rest, prefix };
  }
  throw new Error(`path too long for ustar: ${name}`);
}

function header(entry) {
  const buf = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path);
  buf.write(name, 0, 100, 'utf8');
  buf.write(octal(entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644), 8), 100, 8, 'ascii');
  buf.write(octal(0, 8), 108, 8, 'ascii');
  buf.write(octal(0, 8), 116, 8, 'ascii');
  buf.write(octal(entry.type === 'dir' ? 0 : entry.data.length, 12), 124, 12, 'ascii');
  buf.write(octal(Math.floor((entry.mtimeMs ?? Date.now()) / 1000), 12), 136, 12, 'ascii');
  buf.fill(' ', 148, 156);
  buf.write(entry.type === 'dir' ? '5' : '0', 156, 1, 'ascii');
  buf.write('ustar\0', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  buf.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return buf;
}

/** entries: [{ path, type: 'file'|'dir', data?: Buffer, mode?, mtimeMs? }] -> gzip Buffer */
export function createTarGz(entries) {
  const parts = [];
  for (const entry of entries) {
    parts.push(header(entry));
    if (entry.type === 'file') {
      parts.push(entry.data);
      const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
}

function readString(buf, start, length) {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** Parses a .tar.gz buffer; throws on a corrupt gzip stream or header checksum. */
export function readTarGz(gz) {
  const tar = gunzipSync(gz);
  const entries = [];
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const stored = parseInt(readString(block, 148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
    if (sum !== stored) throw new Error(`corrupt archive header at byte ${offset}`);
    const name = readString(block, 0, 100);
    const prefix = readString(block, 345, 155);
    const size = parseInt(readString(block, 124, 12).trim() || '0', 8);
    const typeflag = String.fromCharCode(block[156] || 48);
    const mode = parseInt(readString(block, 100, 8).trim() || '644', 8);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/\/$/, '');
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new Error(`truncated archive entry: ${path}`);
    const type = typeflag === '5' ? 'dir' : typeflag === '0' ? 'file' : typeflag === '2' ? 'symlink' : 'other';
    entries.push({ path, type, mode, data: type === 'file' ? tar.subarray(dataStart, dataStart + size) : undefined });
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
