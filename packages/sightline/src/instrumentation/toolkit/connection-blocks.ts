// The attributes a database client span takes from where it connects (db.system.name, db.namespace,
// server.address, server.port): the same for every operation an app sends to one database, so held
// once per database as a block its spans share (trace/shared-attributes.ts), which the exporter encodes
// once and then copies. Set on each span and encoded again for each, they were four of a pg or Redis
// span's six to eight attributes: an object built per operation, each attribute copied into the span's
// list and each written out key by key.
import type { Attributes, AttributeValue, Span, Tracer } from '@opentelemetry/api';
import { SharedAttributes } from '../../trace/shared-attributes.js';
import { RecordingSpan } from '../../trace/span.js';
import { SightlineTracer } from '../../trace/tracer.js';

/** Distinct databases kept; past this many, each operation on another gets a block of its own. */
const LIMIT = 64;

export class ConnectionBlocks {
  private readonly blocks = new Map<string, SharedAttributes>();
  // The last database asked for and its block: an app mostly talks to one.
  private lastNamespace: string | undefined = undefined;
  private lastAddress: string | undefined = undefined;
  private lastPort: number | undefined = undefined;
  private last: SharedAttributes | undefined = undefined;

  /** `system`: db.system.name, the same for every block. */
  constructor(private readonly system: string) {}

  /** The block for one database; an undefined value leaves its attribute out. */
  get(namespace: string | undefined, address: string | undefined, port: number | undefined): SharedAttributes {
    const last = this.last;
    if (last !== undefined && namespace === this.lastNamespace && address === this.lastAddress && port === this.lastPort) return last;
    const key = `${keyPart(namespace)}${keyPart(address)}${port}`;
    let block = this.blocks.get(key);
    if (block === undefined) {
      const list: (string | number)[] = ['db.system.name', this.system];
      if (namespace !== undefined) list.push('db.namespace', namespace);
      if (address !== undefined) list.push('server.address', address);
      if (port !== undefined) list.push('server.port', port);
      block = new SharedAttributes(list);
      if (this.blocks.size >= LIMIT) return block;
      this.blocks.set(key, block);
    }
    this.lastNamespace = namespace;
    this.lastAddress = address;
    this.lastPort = port;
    this.last = block;
    return block;
  }
}

/**
 * A string value as a part of a map key that no other value shares: its length first, so that no
 * character inside it (a database may be named with any) can make two pairs of values read alike, and
 * `-` for an absent value, apart from an empty one.
 */
function keyPart(value: string | undefined): string {
  return value === undefined ? '-' : `${value.length}:${value}`;
}

/**
 * Whether the tracer's spans can take a block after they start: Sightline's own tracer with a sampler
 * that reads no start attributes. Otherwise (a sampler of the app's own, tail sampling, another SDK's
 * tracer) the block's attributes go with the others into startSpan(), where the sampler sees them.
 */
export function sharesBlocks(tracer: Tracer): boolean {
  return tracer instanceof SightlineTracer && !tracer.readsStartAttributes;
}

/** The block's attributes added to `attributes`, for a span that starts with them all. */
export function addBlock(attributes: Attributes, block: SharedAttributes): Attributes {
  const list = block.list;
  for (let i = 0; i < list.length; i += 2) attributes[list[i] as string] = list[i + 1] as AttributeValue;
  return attributes;
}

/** Gives a span that started without them the block's attributes: shared by Sightline's spans, set one by one on any other. */
export function giveBlock(span: Span, block: SharedAttributes): void {
  if (!span.isRecording()) return;
  if (span instanceof RecordingSpan) span.shareAttributes(block);
  else block.setOn(span);
}
