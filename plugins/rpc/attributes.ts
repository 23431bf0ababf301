import { AttributeError, type AttributeKey, type AttributeRegistry } from '../../core/config/attributes.js';
import { DUMP_STAGE, shownElsewhere } from '../../core/config/attribute-dump.js';
import { parseInteger } from '../../core/core-attributes.js';

export const PLUGIN_NAME = 'xinetd-ts:rpc';

/** `rpc_version = N` or `N-M`: the versions registered, lowest first. */
export interface VersionRange {
  readonly low: number;
  readonly high: number;
}

export interface RpcKeys {
  readonly version: AttributeKey<VersionRange>;
  readonly number: AttributeKey<number>;
}

const numberKey: AttributeKey<number> = { name: 'rpc_number' };
/** A range is registered one version at a time: a typo such as `1-40000000` must not be. */
const MAX_VERSIONS = 1024;

export function defineRpcAttributes(registry: AttributeRegistry): RpcKeys {
  return {
    version: registry.define({
      name: 'rpc_version', owner: PLUGIN_NAME, arity: 1, where: 'service',
      parse(values) {
        const text = values[0]!;
        const m = /^(\d+)(?:-(\d+))?$/.exec(text);
        const low = m ? Number(m[1]) : NaN;
        const high = m?.[2] === undefined ? low : Number(m[2]);
        // xinetd names only the text before the dash (`bad version range: 5` for `5-2`).
        if (!m || high < low || high > 0xffffffff || high - low >= MAX_VERSIONS) throw new AttributeError(`bad version range: ${text.split('-')[0]}`);
        return Object.freeze({ low, high });
      },
      // xinetd's `RPC data` block, after the server's lines.
      dump: {
        stage: DUMP_STAGE.SERVER + 50,
        lines(range, ctx) {
          const service = ctx.service;
          if (!range || !service?.types.has('RPC')) return [];
          const program = service.types.has('UNLISTED') ? ctx.values.get(numberKey) : ctx.netdb.rpcProgram(service.name);
          return ['RPC data', `\tprogram number = ${program ?? -1}`, `\trpc_version = ${range.low === range.high ? range.low : `${range.low}-${range.high}`}`];
        },
      },
      doc: { values: 'N or N-M', default: 'none (required for type = RPC)', description: 'The RPC program versions a `type = RPC` service registers with rpcbind.' },
    }),
    number: registry.define({
      name: 'rpc_number', owner: PLUGIN_NAME, arity: 1, where: 'service',
      parse(v) {
        const n = parseInteger(v[0]!, 'Error parsing');
        // A program number is 32 bits on the wire.
        if (n > 0xffffffff) throw new AttributeError(`Error parsing: ${v[0]}`);
        return n;
      },
      dump: shownElsewhere(),
      doc: { values: 'integer', default: 'the number of the service name in /etc/rpc', description: 'The RPC program number of a `type = RPC UNLISTED` service (required there).' },
    }),
  };
}
