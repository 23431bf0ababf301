import { DUMP_STAGE } from '../../core/config/attribute-dump.js';
import type { AttributeKey, AttributeRegistry } from '../../core/config/attributes.js';
import { parseAddressList, type AddressList } from './address-match.js';
import { parseAccessTimes, type AccessTimes } from './access-times.js';
import { accessTimesLine, addressListLine } from './dump.js';

export const PLUGIN_NAME = 'xinetd-ts:access';

export interface AccessKeys {
  readonly onlyFrom: AttributeKey<AddressList>;
  readonly noAccess: AttributeKey<AddressList>;
  readonly accessTimes: AttributeKey<AccessTimes>;
}

const ADDRESS_FORMS = 'addresses: a.b.c.d (trailing .0 = network), IPv6, addr/len, a.b.{x,y}, host name, .domain';

/** Values are compiled here, at configuration time: the per-connection path only compares. */
export function defineAccessAttributes(registry: AttributeRegistry): AccessKeys {
  const owner = PLUGIN_NAME;
  const list = (name: string, label: string, unset: string, description: string) => registry.define<AddressList>({
    name, owner, arity: 'list', where: 'both', inherit: 'entry',
    parse: (values, ctx) => parseAddressList(values, ctx.tokenAt, ctx.at, ctx.warn),
    doc: { values: ADDRESS_FORMS, default: name === 'only_from' ? 'unset: every address' : 'unset: nobody', description },
    // xinetd lists both for every service: how addresses were parsed is what the dump is read for.
    dump: { stage: DUMP_STAGE.ADDRESSES, always: true, lines: (v) => [addressListLine(label, v, unset)] },
  });
  return {
    onlyFrom: list('only_from', 'Only from', 'All sites', 'Clients allowed. Empty (`only_from =`): nobody. A client in both lists is decided by the more specific entry; a tie refuses.'),
    noAccess: list('no_access', 'No access', 'No blocked sites', 'Clients refused (see only_from for clients in both lists).'),
    accessTimes: registry.define({
      name: 'access_times', owner, arity: 'many', where: 'service',
      parse: (values, ctx) => ({ intervals: parseAccessTimes(values), at: ctx.at }),
      doc: { values: 'H:M-H:M ... (local time; 24:00 ends the day)', default: 'always', description: 'Intervals when the service may be used, both ends inclusive; an interval cannot wrap midnight.' },
      dump: { stage: DUMP_STAGE.ACCESS_TIMES, lines: (v) => (v ? [accessTimesLine(v)] : []) },
    }),
  };
}
