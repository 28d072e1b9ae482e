// A small MaxMind DB (MMDB v2) writer for tests, after the published format specification
// (maxmind.github.io/MaxMind-DB): an IPv4 search tree with 24-bit records, a data section of
// maps, strings, doubles and unsigned integers, and the metadata map. Enough to write a city
// database with a few networks; the real reader (`maxmind`) reads it back.

/** A value the writer can encode. Integers are uint32 unless wrapped in `uint16`. */
export type MmdbValue = string | number | boolean | MmdbUint16 | MmdbValue[] | MmdbMap;
interface MmdbMap {
  readonly [key: string]: MmdbValue;
}
interface MmdbUint16 {
  readonly uint16: number;
}

/** Marks a number to encode as uint16 (metadata fields that must be uint16). */
export function uint16(value: number): MmdbUint16 {
  return { uint16: value };
}

/** One IPv4 network and its record. */
export interface MmdbNetwork {
  /** `a.b.c.d/prefix`. */
  readonly cidr: string;
  readonly record: MmdbMap;
}

type Slot = TreeNode | { readonly dataOffset: number } | null;
interface TreeNode {
  left: Slot;
  right: Slot;
  id: number;
}

/** Builds an IPv4 MMDB file holding `networks` (later networks win where they overlap). */
export function writeMmdb(networks: readonly MmdbNetwork[], databaseType = 'Test-City'): Buffer {
  const data: Buffer[] = [];
  let dataLength = 0;
  const root: TreeNode = { left: null, right: null, id: 0 };
  for (const network of networks) {
    const encoded = encode(network.record);
    const slot = { dataOffset: dataLength };
    data.push(encoded);
    dataLength += encoded.length;
    insert(root, network.cidr, slot);
  }
  const nodes = numberNodes(root);
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  const recordOf = (slot: Slot): number => {
    if (slot === null) return nodeCount;
    if ('dataOffset' in slot) return nodeCount + 16 + slot.dataOffset;
    return slot.id;
  };
  nodes.forEach((node, i) => {
    tree.writeUIntBE(recordOf(node.left), i * 6, 3);
    tree.writeUIntBE(recordOf(node.right), i * 6 + 3, 3);
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: uint16(24),
    ip_version: uint16(4),
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: uint16(2),
    binary_format_minor_version: uint16(0),
    build_epoch: Math.floor(Date.now() / 1000),
    description: { en: 'flux-auth test database' },
  });
  const marker = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');
  return Buffer.concat([tree, Buffer.alloc(16), ...data, marker, metadata]);
}

function insert(root: TreeNode, cidr: string, slot: Slot): void {
  const [address = '', prefixText = '32'] = cidr.split('/');
  const bits = address.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
  const prefix = Number(prefixText);
  let node = root;
  for (let i = 0; i < prefix; i += 1) {
    const isRight = ((bits >>> (31 - i)) & 1) === 1;
    if (i === prefix - 1) {
      if (isRight) node.right = slot;
      else node.left = slot;
      return;
    }
    const next = isRight ? node.right : node.left;
    if (next !== null && !('dataOffset' in next)) {
      node = next;
      continue;
    }
    const child: TreeNode = { left: next, right: next, id: 0 };
    if (isRight) node.right = child;
    else node.left = child;
    node = child;
  }
}

function numberNodes(root: TreeNode): TreeNode[] {
  const nodes: TreeNode[] = [];
  const queue: TreeNode[] = [root];
  while (queue.length > 0) {
    const node = queue.shift() as TreeNode;
    node.id = nodes.length;
    nodes.push(node);
    for (const child of [node.left, node.right]) {
      if (child !== null && !('dataOffset' in child)) queue.push(child);
    }
  }
  return nodes;
}

function encode(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return Buffer.concat([control(14, value ? 1 : 0)]);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value);
      return Buffer.concat([control(6, 4), bytes]);
    }
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(3, 8), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  if ('uint16' in value && typeof value.uint16 === 'number') {
    const bytes = Buffer.alloc(2);
    bytes.writeUInt16BE(value.uint16);
    return Buffer.concat([control(5, 2), bytes]);
  }
  const entries = Object.entries(value as MmdbMap);
  const parts = entries.flatMap(([key, item]) => [encode(key), encode(item)]);
  return Buffer.concat([control(7, entries.length), ...parts]);
}

// Control byte: type in the top 3 bits (0 = extended, type - 7 in the next byte), size below.
function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    extra.push(size - 29);
  } else {
    sizeBits = 30;
    const rest = size - 285;
    extra.push(rest >> 8, rest & 0xff);
  }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...extra]);
}

/** A GeoLite2-City-shaped record. */
export function cityRecord(
  country: string,
  latitude: number,
  longitude: number,
  accuracyRadiusKm: number,
): MmdbMap {
  return {
    country: { iso_code: country },
    location: { latitude, longitude, accuracy_radius: uint16(accuracyRadiusKm) },
  };
}
